/**
 * Headless trainer: runs one lane from a config file and prints one JSON
 * object of metrics per step.
 *
 *   npm run train -- --config FILE.json [--out FILE.jsonl] [--backend cpu|webgpu|auto]
 *                    [--seed N] [--steps N] [--objective rft|dpo|sft] [--dump-policy FILE.json]
 *                    [--save-base FILE] [--base FILE]
 *
 * Exit codes: 0 done; 1 the run stopped (diverged, grader failed, an output
 * could not be written); 2 bad input (arguments, config, task files, grader,
 * output paths); 70 an internal error (one line; the stack with --debug);
 * 130 interrupted (SIGINT/SIGTERM) after finishing the current step's line.
 */
import { parseConfig, type Config } from '../engine/config.ts';
import { initOptions, makeLane, policyShape } from '../engine/setup.ts';
import { initialLogits, newPolicyState, paramCount } from '../engine/policy.ts';
import { baseCorpusSource, corpusFingerprint, pretrainBase, type BaseProgress } from '../models/transformer/base.ts';
import { parseBase, serializeBase } from '../models/transformer/base-file.ts';
import { resolve } from 'node:path';
import { policyDump } from '../engine/policy-dump.ts';
import { createGrader, GraderConfigError, type Grader } from '../graders/index.ts';
import type { GraderSpec } from '../engine/task.ts';
import { resolveCliTask } from './task-files.ts';
import { createCliBackend } from './backend.ts';
import { checkOutputPath, JsonlSink, OutputError, writeWholeFile } from './output.ts';
import { readConfigFile, readUserFile, UsageError } from './config-file.ts';


interface Args {
  config?: string;
  out?: string;
  backend?: string;
  seed?: number;
  steps?: number;
  objective?: string;
  dumpPolicy?: string;
  saveBase?: string;
  base?: string;
  debug?: boolean;
}

const HELP = `usage: npm run train -- --config FILE.json [options]
  --config FILE        run configuration (JSON); omitted = all defaults
  --out FILE           write the metrics (one JSON object per line) to FILE instead of stdout
  --backend NAME       cpu | webgpu | auto (overrides the config)
  --seed N             overrides the config's seed
  --steps N            overrides the config's steps
  --objective NAME     rft | dpo | sft (overrides the config)
  --dump-policy FILE   write the final policy (probabilities per prompt and position) as JSON
  --save-base FILE     transformer: write the base model the run starts from (to reuse with --base)
  --base FILE          transformer: start from this base model instead of pretraining one
  --debug              on an internal error, print its stack trace too`;

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  const takeValue = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    if (v.trim() === '') throw new UsageError(`${flag} needs a value (got an empty string)`);
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
      case '--save-base': args.saveBase = takeValue(i++, flag); break;
      case '--base': args.base = takeValue(i++, flag); break;
      case '--debug': args.debug = true; break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(flag)} (see --help)`);
    }
  }
  return args;
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

/** A grader, loaded in its sandbox before any training (custom code run, its worker warm), so a typo costs nothing. */
async function checkedGrader(spec: GraderSpec, path: string): Promise<Grader> {
  let grader: Grader | null = null;
  try {
    grader = createGrader(spec, path);
    await grader.prepare?.();
    return grader;
  } catch (e) {
    grader?.dispose?.();
    if (e instanceof GraderConfigError) throw new UsageError(`config.${e.message}`);
    throw e;
  }
}

/** Two flags naming one file would overwrite each other's output without a word. */
function checkDistinctOutputs(outputs: [string, string | undefined][]): void {
  const seen = new Map<string, string>();
  for (const [flag, path] of outputs) {
    if (!path) continue;
    const full = resolve(path);
    const other = seen.get(full);
    if (other) throw new UsageError(`${other} and ${flag} both name ${path}: one would overwrite the other; give each its own file`);
    seen.set(full, flag);
  }
}

/**
 * Progress of the base model's pretraining on stderr (tens of seconds at the
 * default size): one line rewritten in place on a terminal, a line every
 * LOG_EVERY_MS in a log. Pretraining holds the thread, so Ctrl-C then stops the
 * process at once; nothing has been written yet.
 */
function pretrainingProgress(target: number): { update(p: BaseProgress): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  const LOG_EVERY_MS = tty ? 200 : 10_000;
  let last = Date.now();
  let shown = false;
  const line = (p: BaseProgress) =>
    `pretraining the base model: step ${p.step} (at most ${p.maxSteps}), greedy accuracy ${p.checkAccuracy === null ? '…' : p.checkAccuracy.toFixed(2)} on its check prompts; it stops at ${target}`;
  return {
    update(p) {
      if (Date.now() - last < LOG_EVERY_MS) return;
      last = Date.now();
      process.stderr.write(tty ? `\r${line(p)}\x1b[K` : `${line(p)}\n`);
      shown = true;
    },
    done() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
    },
  };
}

/** Set by SIGINT/SIGTERM: the step under way finishes and its line is written, then the run stops. */
let interrupted: NodeJS.Signals | null = null;

/** A CPU step never waits on I/O, so the loop yields now and then, or signals would only be seen at the end. */
const YIELD_EVERY_MS = 50;

async function main(args: Args): Promise<number> {
  const config = buildConfig(args);
  // Output paths are checked before any work, so a typo costs nothing.
  if (args.out) checkOutputPath(args.out, '--out');
  if (args.dumpPolicy) checkOutputPath(args.dumpPolicy, '--dump-policy');
  if (args.saveBase) checkOutputPath(args.saveBase, '--save-base');
  checkDistinctOutputs([['--out', args.out], ['--dump-policy', args.dumpPolicy], ['--save-base', args.saveBase]]);
  const neural = config.policy.kind === 'transformer';
  if ((args.saveBase || args.base) && !neural) throw new UsageError(`${args.base ? '--base' : '--save-base'} is for policy.kind "transformer" (this config's policy is "${config.policy.kind}")`);
  if (args.base && config.policy.init === 'random') throw new UsageError('--base and policy.init "random" contradict each other: drop one');
  const task = await resolveCliTask(config, args.config);
  const trainPrompts = task.trainPrompts ?? task.items.length;
  if (config.num_prompts !== null && config.num_prompts > trainPrompts) {
    const heldOut = task.items.length - trainPrompts;
    process.stderr.write(
      `note: num_prompts = ${config.num_prompts}, but task "${task.id}" has ${trainPrompts} prompts to train on` +
        (heldOut > 0 ? ` (${task.items.length} in its pool, ${heldOut} held out: eval_prompts)` : '') +
        `: training on those ${trainPrompts}\n`,
    );
  }
  // Graders are checked (custom code compiled) before any training, so a typo costs nothing.
  const grader = await checkedGrader(config.grader ?? task.grader, 'grader');
  const evalGraders: Record<string, Grader> = {};
  for (const [name, spec] of Object.entries({ ...(task.evalGraders ?? {}), ...config.eval_graders })) {
    evalGraders[name] = await checkedGrader(spec, `eval_graders.${name}`);
  }
  const shape = policyShape(config, task);
  let params: Float32Array;
  let baseInfo = { steps: 0, checkAccuracy: NaN };
  if (args.base) {
    // Base64 of 4 bytes a parameter, and a few hundred bytes of fields: a file far larger is not this network's base.
    const maxBytes = paramCount(shape) * 6 + 64 * 1024;
    const text = readUserFile(args.base, '--base', 'a base model file (made with --save-base)', maxBytes, `a base model of this network's ${paramCount(shape)} parameters is at most ${maxBytes} bytes`);
    const loaded = parseBase(text, shape, paramCount(shape), `--base ${args.base}`, corpusFingerprint(task), task.id);
    params = loaded.params;
    baseInfo = { steps: loaded.file.steps, checkAccuracy: loaded.file.check_accuracy };
  } else if (neural && config.policy.init === 'base') {
    const progress = pretrainingProgress(config.policy.base_accuracy);
    const base = pretrainBase(shape, task, initOptions(config), progress.update);
    progress.done();
    params = base.params;
    baseInfo = { steps: base.steps, checkAccuracy: base.checkAccuracy };
    process.stderr.write(
      `note: base model pretrained for ${base.steps} steps on ${baseCorpusSource(task)}: greedy accuracy ${base.checkAccuracy.toFixed(2)} on its check prompts` +
        (base.reached ? '' : ` (below policy.base_accuracy ${config.policy.base_accuracy}: it stopped at policy.base_max_steps ${config.policy.base_max_steps})`) +
        '\n',
    );
  } else {
    params = initialLogits(shape, task, initOptions(config));
  }
  const state = newPolicyState(shape, params);
  if (args.saveBase) {
    try {
      writeWholeFile(args.saveBase, serializeBase(shape, state.ref, { task: task.id, seed: config.seed, ...baseInfo, corpus: corpusFingerprint(task) }), '--save-base');
    } catch (e) {
      // A write that fails (a full disk) is exit 1, as for --out; a path that cannot be written was refused above (exit 2).
      if (!(e instanceof OutputError)) throw e;
      process.stderr.write(`error: ${e.message}\n`);
      return 1;
    }
  }
  let selected;
  try {
    selected = await createCliBackend(config.backend, state, config);
  } catch (e) {
    // No adapter when WebGPU was required, or a policy too large for the device: the user's choice to change.
    throw new UsageError((e as Error).message);
  }
  const { backend, notice } = selected;
  if (notice) process.stderr.write(`note: ${notice}\n`);
  const lane = makeLane(config, { task, state, backend, grader, evalGraders });

  const sink = new JsonlSink(args.out ?? null);
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C means now.
    if (interrupted) process.exit(130);
    interrupted = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode = 0;
  const noted = new Set<string>();
  const steps = (n: number) => `${n} step${n === 1 ? '' : 's'}`;
  // The step-0 evaluation is a line of the output but not a step.
  let startLines = 0;
  const written = () => steps(Math.max(0, sink.written - startLines)) + (startLines && sink.written > 0 ? ' (and the step-0 evaluation)' : '');
  try {
    let lastYield = Date.now();
    // Held-out prompts: the starting point's (the base's) evaluation is step 0.
    if (lane.hasHeldOut && config.steps > 0) {
      const start = await lane.evaluate(0);
      if (start && Object.keys(start.metrics).length) {
        sink.write(JSON.stringify({ step: 0, ...start.metrics }) + '\n');
        startLines = 1;
      }
    }
    for (let i = 0; i < config.steps && !interrupted; i++) {
      const outcome = await lane.step();
      if (!outcome.ok) {
        process.stderr.write(`stopped: ${outcome.message}\n`);
        exitCode = 1;
        break;
      }
      sink.write(JSON.stringify(outcome.metrics) + '\n');
      for (const note of outcome.notes ?? []) {
        // Once per grader, not once per step.
        const key = note.replace(/ \(.*\)/, '');
        if (!noted.has(key)) process.stderr.write(`note: step ${outcome.metrics.step}: ${note} (and from then on while it fails)\n`);
        noted.add(key);
      }
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
    await sink.close();
    if (interrupted) {
      process.stderr.write(`interrupted (${interrupted}): ${written()} written${args.out ? ` to ${args.out}` : ''}\n`);
      return 130;
    }
    if (args.dumpPolicy) writeWholeFile(args.dumpPolicy, JSON.stringify(policyDump(await backend.readState(), task)) + '\n', '--dump-policy');
  } catch (e) {
    if (e instanceof OutputError) {
      process.stderr.write(`error: ${e.message}; ${written()} had been written before it\n`);
      return 1;
    }
    throw e;
  } finally {
    sink.abandon();
    grader.dispose?.();
    for (const g of Object.values(evalGraders)) g.dispose?.();
    backend.dispose();
  }
  return exitCode;
}

/** One line, never a stack trace (unless --debug): what the user did wrong (2), or an internal error to report (70). */
function fail(e: unknown, debug: boolean): number {
  const isUsage = e instanceof UsageError || e instanceof GraderConfigError || e instanceof OutputError ||
    (e instanceof Error && ['DataError', 'UnknownTaskError', 'TaskSizeError', 'TransformerConfigError', 'BaseFileError'].includes(e.name));
  if (isUsage) {
    // Several problems (a config's) are a line each, each an error line.
    for (const line of (e as Error).message.split('\n')) process.stderr.write(`error: ${line}\n`);
    return 2;
  }
  const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  process.stderr.write(`internal error: ${message.split('\n')[0].slice(0, 300)} (please report this${debug ? '' : '; run with --debug for details'})\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  return 70;
}

const argv = process.argv.slice(2);
// `npm run train | head -1`: a reader that went away is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`error: cannot write to standard output: ${e.code ?? e.message}\n`);
  process.exit(1);
});
const debug = argv.includes('--debug');
// A promise nobody awaited (a stray rejection in a library) is an internal error too, worded the same way.
process.on('uncaughtException', (e) => process.exit(fail(e, debug)));
process.on('unhandledRejection', (e) => process.exit(fail(e, debug)));
let parsed: Args;
try {
  parsed = parseArgs(argv);
} catch (e) {
  process.exit(fail(e, debug));
}
main(parsed).then(
  (code) => process.exit(code),
  (e: unknown) => process.exit(fail(e, debug)),
);
