/**
 * "Take it to a real model" from the command line: writes a run as an OpenAI
 * fine-tuning job or a TRL script (src/export/), the same files the page zips.
 *
 *   npm run export -- --config FILE.json --format openai|trl --out DIR
 *
 * Exit codes: 0 written; 2 bad input (arguments, config, task files, grader) or
 * a run the format cannot carry over with the same meaning.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseConfig } from '../engine/config.ts';
import { createGrader, GraderConfigError } from '../graders/index.ts';
import { EXPORT_FORMATS, ExportError, generateExport, type ExportFormat } from '../export/index.ts';
import { readConfigFile, UsageError } from './config-file.ts';
import { resolveCliTask } from './task-files.ts';


const HELP = `usage: npm run export -- --config FILE.json --format openai|trl --out DIR
  --config FILE    the run's configuration (JSON), as for npm run train
  --format NAME    openai: an OpenAI fine-tuning job; trl: a Hugging Face TRL script
  --out DIR        folder to write (created if missing; files in it are overwritten)`;

function parseArgs(argv: string[]): { config: string; format: ExportFormat; out: string } {
  const got: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(HELP + '\n');
      process.exit(0);
    }
    if (flag === '--debug') continue;
    if (!['--config', '--format', '--out'].includes(flag)) throw new UsageError(`unknown argument ${JSON.stringify(flag)} (see --help)`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    got[flag.slice(2)] = value;
    i++;
  }
  for (const flag of ['config', 'format', 'out']) if (got[flag] === undefined) throw new UsageError(`--${flag} is required (see --help)`);
  if (!(EXPORT_FORMATS as readonly string[]).includes(got.format)) {
    throw new UsageError(`--format = ${JSON.stringify(got.format)}: must be one of ${EXPORT_FORMATS.join(', ')}`);
  }
  return { config: got.config, format: got.format as ExportFormat, out: got.out };
}

async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const parsed = parseConfig(readConfigFile(args.config));
  if (!parsed.ok) throw new UsageError(parsed.errors.map((e) => e.message).join('\n'));
  const config = parsed.config;
  const task = await resolveCliTask(config, args.config);
  // The grader is checked as the trainer checks it, so the export never translates a spec the playground would refuse.
  createGrader(config.grader ?? task.grader, 'grader').dispose?.();
  const { files } = generateExport(config, task, args.format);
  for (const [path, text] of Object.entries(files)) {
    const full = join(args.out, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  process.stdout.write(`wrote ${Object.keys(files).length} files to ${args.out} (see ${join(args.out, 'README.md')})\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    const known = e instanceof UsageError || e instanceof ExportError || e instanceof GraderConfigError;
    if (known || (e instanceof Error && (e.name === 'DataError' || e.name === 'UnknownTaskError' || e.name === 'ConfigError'))) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exit(2);
    }
    // One line, as the trainer: the stack only when asked for.
    const debug = process.argv.includes('--debug');
    process.stderr.write(`internal error: ${e instanceof Error ? `${e.name}: ${e.message}`.split('\n')[0] : String(e)} (please report this)\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    process.exit(70);
  },
);
