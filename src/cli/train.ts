/**
 * Headless trainer: runs one lane from a config file and prints one JSON
 * object of metrics per step.
 *
 *   npm run train -- --config FILE.json [--out FILE.jsonl] [--backend cpu|webgpu|auto]
 *                    [--seed N] [--steps N] [--objective rft|dpo|sft] [--dump-policy FILE.json]
 *
 * Exit codes: 0 done; 1 the run stopped (diverged, grader failed); 2 bad input
 * (arguments, config, task files, grader).
 */
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { parseConfig, type Config } from '../engine/config.ts';
import { initialState, makeLane } from '../engine/setup.ts';
import { positionMarginals, type PolicyState } from '../engine/policy.ts';
import { Vocabulary, type Task } from '../engine/task.ts';
import { createGrader, GraderConfigError, validateGrader, type Grader } from '../graders/index.ts';
import type { GraderSpec } from '../engine/task.ts';
import { resolveCliTask } from './task-files.ts';
import { createCliBackend } from './backend.ts';

/** A mistake in what the user gave us: reported in one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

interface Args {
  config?: string;
  out?: string;
  backend?: string;
  seed?: number;
  steps?: number;
  objective?: string;
  dumpPolicy?: string;
}

const HELP = `usage: npm run train -- --config FILE.json [options]
  --config FILE        run configuration (JSON); omitted = all defaults
  --out FILE           write the metrics (one JSON object per line) to FILE instead of stdout
  --backend NAME       cpu | webgpu | auto (overrides the config)
  --seed N             overrides the config's seed
  --steps N            overrides the config's steps
  --objective NAME     rft | dpo | sft (overrides the config)
  --dump-policy FILE   write the final policy (probabilities per prompt and position) as JSON`;

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  const takeValue = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const integer = (v: string, flag: string) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag} = ${JSON.stringify(v)}: must be a non-negative integer`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--help':
      case '-h':
        process.stdout.write(HELP + '\n');
        process.exit(0);
      case '--config': args.config = takeValue(i++, flag); break;
      case '--out': args.out = takeValue(i++, flag); break;
      case '--backend': args.backend = takeValue(i++, flag); break;
      case '--objective': args.objective = takeValue(i++, flag); break;
      case '--seed': args.seed = integer(takeValue(i++, flag), flag); break;
      case '--steps': args.steps = integer(takeValue(i++, flag), flag); break;
      case '--dump-policy': args.dumpPolicy = takeValue(i++, flag); break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(flag)} (see --help)`);
    }
  }
  return args;
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function buildConfig(args: Args): Config {
  const raw = args.config ? readConfigFile(args.config) : {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`config file ${args.config}: must hold one JSON object`);
  const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  if (args.backend !== undefined) merged.backend = args.backend;
  if (args.seed !== undefined) merged.seed = args.seed;
  if (args.steps !== undefined) merged.steps = args.steps;
  if (args.objective !== undefined) merged.objective = args.objective;
  const parsed = parseConfig(merged);
  if (!parsed.ok) throw new UsageError(parsed.errors.map((e) => e.message).join('\n'));
  return parsed.config;
}

function policyDump(state: PolicyState, task: Task) {
  const vocab = new Vocabulary(task.alphabet);
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    task: task.id,
    kind: state.shape.kind,
    max_len: state.shape.maxLen,
    tokens: Array.from({ length: state.shape.vocab }, (_, t) => (t === 0 ? '<EOS>' : vocab.label(t))),
    prompts: task.items.map((item, p) => ({
      prompt: item.prompt,
      // positions[t][token]: probability of emitting `token` at position t (given the answer got that far)
      positions: positionMarginals(state.logits, state.shape, p).map((row) => Array.from(row, round)),
    })),
  };
}

async function checkedGrader(spec: GraderSpec, path: string): Promise<Grader> {
  const check = await validateGrader(spec, path);
  if (!check.ok) throw new UsageError(`config.${check.message}`);
  return createGrader(spec, path);
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const config = buildConfig(args);
  const task = await resolveCliTask(config, args.config);
  // Graders are checked (custom code compiled) before any training, so a typo costs nothing.
  const grader = await checkedGrader(config.grader ?? task.grader, 'grader');
  const evalGraders: Record<string, Grader> = {};
  for (const [name, spec] of Object.entries({ ...(task.evalGraders ?? {}), ...config.eval_graders })) {
    evalGraders[name] = await checkedGrader(spec, `eval_graders.${name}`);
  }
  const state = initialState(config, task);
  let selected;
  try {
    selected = await createCliBackend(config.backend, state);
  } catch (e) {
    // No adapter when WebGPU was required, or a policy too large for the device: the user's choice to change.
    throw new UsageError((e as Error).message);
  }
  const { backend, notice } = selected;
  if (notice) process.stderr.write(`note: ${notice}\n`);
  const lane = makeLane(config, { task, state, backend, grader, evalGraders });

  const out = args.out ? createWriteStream(args.out) : null;
  const write = (line: string) => (out ? out.write(line) : process.stdout.write(line));
  let exitCode = 0;
  try {
    for (let i = 0; i < config.steps; i++) {
      const outcome = await lane.step();
      if (!outcome.ok) {
        process.stderr.write(`stopped: ${outcome.message}\n`);
        exitCode = 1;
        break;
      }
      write(JSON.stringify(outcome.metrics) + '\n');
    }
    if (args.dumpPolicy) writeFileSync(args.dumpPolicy, JSON.stringify(policyDump(await backend.readState(), task)) + '\n');
  } finally {
    if (out) await new Promise<void>((resolve) => out.end(resolve));
    grader.dispose?.();
    for (const g of Object.values(evalGraders)) g.dispose?.();
    backend.dispose();
  }
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof Error && e.name === 'DataError') || e instanceof GraderConfigError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof Error && e.name === 'UnknownTaskError') {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(70);
  },
);
