/**
 * The training loop behind the page: play / pause / step / reset / speed over
 * a Trainer, with metrics released in batches (≤ 30 a second) and a pause with
 * an explanation when a lane cannot take its step. Runs inside the worker;
 * nothing here touches the DOM, so the unit tests run it in Node.
 */
import { type Config, parseConfig } from '../engine/config.ts';
import type { GraderSpec, Task } from '../engine/task.ts';
import { exportTask } from '../data/export.ts';
import { MetricBatcher, RateMeter } from './metric-batcher.ts';
import { classifyChange } from './config-diff.ts';
import {
  LANE_IDS,
  listPhrase,
  type BenchResult,
  type GraderCheck,
  type ImportedFile,
  type ImportResult,
  type LaneId,
  type LaneRecord,
  type LaneSnapshot,
  type Progress,
  type RerunResult,
  type RunDefinition,
  type RunInfo,
  type StartInfo,
  type TaskInfo,
  type UpdateResult,
  type WorkerEvent,
} from './protocol.ts';
import { Trainer, type TrainerDeps } from './trainer.ts';
import type { SamplingRequest, SamplingResult, SlowMotionReport } from './view-protocol.ts';

/** Imported files by the objective their format feeds. */
export type ImportedFileSet = Partial<Record<'sft' | 'dpo' | 'rft', ImportedFile>>;

export interface SessionDeps extends TrainerDeps {
  tasks: TaskInfo[];
  /** Deeper checks than construction (e.g. running a custom grader's source once); empty when fine. */
  validateGrader?(spec: GraderSpec): Promise<GraderCheck['problems']>;
  /** Adds files to the imported set, each under the format it is in; throws an error naming file and line. */
  addImportedFiles?(current: ImportedFileSet, files: ImportedFile[]): ImportedFileSet;
  /** The task of a config whose `task` names files, built from the imported set. */
  loadImportedTask?(config: Config, files: ImportedFileSet): Task;
  now?: () => number;
}

/** Lane cards refresh at most this often (a policy readback per lane each time). */
const SNAPSHOT_INTERVAL_MS = 100;
/** Longest stretch of uninterrupted training before messages (Pause, knob changes) get a turn. */
const YIELD_EVERY_MS = 8;
export const ALL_LANES_OFF = 'All lanes are off: switch one on to train.';

/** A macrotask turn without setTimeout's 4 ms clamp, so "max speed" is not capped at 250 steps/s. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

import { defaultLanes } from '../share/run-state.ts';
export { defaultLanes };

/** How long Pause or Reset lets the step under way finish before stopping its grading. */
const STOP_GRACE_MS = 500;

export class TrainingSession {
  private readonly trainer: Trainer;
  private readonly batcher: MetricBatcher<LaneId, LaneRecord>;
  private readonly meter: RateMeter;
  private readonly now: () => number;
  private listener: (e: WorkerEvent) => void = () => {};
  private playing = false;
  private loop: Promise<void> | null = null;
  /** Steps per second; null = as fast as the machine allows. */
  private speed: number | null = 30;
  private prompt = 0;
  private lastSnapshot = -Infinity;
  /** Files the user imported; kept when switching to a built-in task so switching back loses nothing. */
  private imported: ImportedFileSet = {};
  /** Files imported during a run: the run keeps its data, and these replace `imported` at the next Reset. */
  private pendingImport: ImportedFileSet | null = null;
  private built = false;

  constructor(private readonly deps: SessionDeps) {
    this.now = deps.now ?? (() => performance.now());
    // Imported data is served from memory; built-in ids go to the engine's task library.
    this.trainer = new Trainer({ ...deps, loadTask: (config) => this.loadTask(config) });
    this.batcher = new MetricBatcher<LaneId, LaneRecord>(1000 / 30, this.now);
    this.meter = new RateMeter(2000, this.now);
  }

  private loadTask(config: Config): Task {
    if (typeof config.task === 'string') return this.deps.loadTask(config);
    const names = [config.task.sft_file, config.task.dpo_file, config.task.rft_file].filter(Boolean);
    const loaded = Object.values(this.imported).map((f) => f!.name);
    const missing = names.filter((n) => !loaded.includes(n!));
    if (!this.deps.loadImportedTask || missing.length > 0) {
      const one = missing.length === 1;
      throw new Error(`config.task names ${listPhrase(missing.map(String)) || 'files'} but ${one ? 'it is' : 'they are'} not loaded here: import ${one ? 'it' : 'them'} with “Import JSONL files”`);
    }
    return this.deps.loadImportedTask(config, this.imported);
  }

  /** Notes already shown for the current run. */
  private noted = new Set<string>();

  /** Tells the page something that did not stop training. */
  notify(message: string): void {
    this.listener({ type: 'notice', message });
  }

  start(listener: (e: WorkerEvent) => void): StartInfo {
    this.listener = listener;
    const parsed = parseConfig({});
    if (!parsed.ok) throw new Error('the default config does not validate: ' + parsed.errors[0].message);
    return { tasks: this.deps.tasks, defaults: { config: parsed.config, lanes: defaultLanes() } };
  }

  /** Validates a definition coming from the page; one line per problem. */
  private validate(def: RunDefinition): { ok: true; def: RunDefinition } | { ok: false; errors: string[] } {
    const parsed = parseConfig(def.config);
    if (!parsed.ok) return { ok: false, errors: parsed.errors.map((e) => e.message) };
    const lanes = defaultLanes();
    for (const id of LANE_IDS) lanes[id] = def.lanes?.[id] !== false;
    return { ok: true, def: { config: parsed.config, lanes } };
  }

  async reset(def?: RunDefinition): Promise<UpdateResult> {
    await this.stopLoop();
    const next = def ? this.validate(def) : { ok: true as const, def: this.trainer.definition };
    if (!next.ok) return next;
    let run: RunInfo;
    const previous = this.imported;
    // Files imported during the run apply now.
    if (this.pendingImport) this.imported = this.pendingImport;
    try {
      const files = typeof next.def.config.task === 'string' ? [] : Object.values(this.imported).map((f) => f!.name);
      const target = next.def.config.policy.base_accuracy;
      run = await this.trainer.build(next.def, files, (p) => this.listener({ type: 'pretraining', ...p, target }));
      this.noted.clear();
    } catch (e) {
      this.imported = previous;
      return { ok: false, errors: [(e as Error).message] };
    }
    this.pendingImport = null;
    this.built = true;
    this.batcher.take();
    // Step 0 on the charts: where held-out reward starts (the base's own score, for a transformer). It travels
    // with the run, not in a batch, so the page files it under the new run and never under the one it replaces.
    run.start = await this.trainer.evaluateStart();
    this.meter.reset();
    this.lastSnapshot = -Infinity;
    await this.flush(true);
    return { ok: true, needsReset: [], run };
  }

  async update(def: RunDefinition): Promise<UpdateResult> {
    const next = this.validate(def);
    if (!next.ok) return next;
    try {
      const r = await this.trainer.update(next.def);
      if (r.needsReset.length > 0 && this.built && !this.trainer.started && !this.pendingImport) {
        // Nothing has trained yet, so rebuilding loses nothing: a new task (seed, policy kind) applies at once,
        // and the page never shows one task in the picker while the run trains on another.
        const wasPlaying = this.playing;
        const rebuilt = await this.reset(next.def);
        if (rebuilt.ok && wasPlaying) this.play();
        return rebuilt.ok ? { ...rebuilt, rebuilt: true } : rebuilt;
      }
      // Imported files waiting for Reset keep the notice up even when their names match the running ones.
      if (this.pendingImport && typeof next.def.config.task !== 'string' && !r.needsReset.includes('task')) r.needsReset.unshift('task');
      // Paused, no batch would tell the page that a lane switch or Steps changed "finished" or who is behind.
      if (!this.playing && this.built) await this.flush(false);
      return { ok: true, ...r };
    } catch (e) {
      return { ok: false, errors: [(e as Error).message] };
    }
  }

  /** The current task's data as the three JSONL files in the OpenAI formats (SFT, DPO, RFT), for download. */
  exportTaskData(): { ok: true; files: ImportedFile[] } | { ok: false; error: string } {
    if (!this.built) return { ok: false, error: 'there is no run yet' };
    try {
      const out = exportTask(this.loadTask(this.trainer.definition.config));
      return { ok: true, files: [out.files.sft, out.files.dpo, out.files.rft] };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  /**
   * "Take it to a real model": the run as an OpenAI job or a TRL script, zipped. The generator and
   * the zip library are loaded on first use, so they cost the page nothing until someone asks.
   */
  async exportRealRun(format: 'openai' | 'trl'): Promise<{ ok: true; zip: Uint8Array; folder: string } | { ok: false; error: string }> {
    if (!this.built) return { ok: false, error: 'there is no run yet' };
    try {
      const [{ generateExport }, { zipFiles }] = await Promise.all([import('../export/index.ts'), import('../export/zip.ts')]);
      const config = this.trainer.definition.config;
      const folder = `${typeof config.task === 'string' ? config.task : 'custom'}-${config.objective}-${format}`;
      return { ok: true, zip: zipFiles(generateExport(config, this.loadTask(config), format).files, folder), folder };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }

  /**
   * Adds the user's JSONL files to the imported set. Before the first step the
   * run is rebuilt on them at once; during a run they wait for Reset, like a
   * Task change, and the result says so (`needsReset`). `base` is the
   * definition the page shows (default: the running one). All or nothing: a
   * bad file changes neither the files held nor the run.
   */
  async importData(files: ImportedFile[], base?: RunDefinition): Promise<ImportResult> {
    if (!this.deps.addImportedFiles) return { ok: false, errors: ['importing data files is not available in this build'] };
    const checked = base ? this.validate(base) : { ok: true as const, def: this.trainer.definition };
    if (!checked.ok) return checked;
    const current = checked.def;
    let set: ImportedFileSet;
    try {
      // Files add to an imported task; over a built-in task they start a new one.
      set = this.deps.addImportedFiles(typeof current.config.task === 'string' ? {} : (this.pendingImport ?? this.imported), files);
    } catch (e) {
      return { ok: false, errors: String((e as Error).message).split('\n') };
    }
    const keep = typeof current.config.task === 'string' ? {} : { grader: current.config.task.grader, max_len: current.config.task.max_len, alphabet: current.config.task.alphabet };
    const task: Record<string, unknown> = {};
    if (set.sft) task.sft_file = set.sft.name;
    if (set.dpo) task.dpo_file = set.dpo.name;
    if (set.rft) task.rft_file = set.rft.name;
    for (const [k, v] of Object.entries(keep)) if (v !== undefined) task[k] = v;
    const next = this.validate({ config: { ...current.config, task: task as Config['task'], num_prompts: null }, lanes: current.lanes });
    if (!next.ok) return next;
    const previous = this.pendingImport;
    this.pendingImport = set;
    if (this.built && this.trainer.started) {
      // Rebuilding now would throw the training away without a word: check the data, then wait for Reset.
      try {
        this.deps.loadImportedTask?.(next.def.config, set);
      } catch (e) {
        this.pendingImport = previous;
        return { ok: false, errors: [(e as Error).message] };
      }
      const reset = classifyChange(this.trainer.definition.config, next.def.config).reset.filter((p) => p !== 'task');
      return { ok: true, run: null, definition: next.def, needsReset: ['task', ...reset] };
    }
    const r = await this.reset(next.def);
    if (!r.ok) {
      this.pendingImport = previous;
      return r;
    }
    return { ok: true, run: r.run! };
  }

  setSpeed(stepsPerSecond: number | null): void {
    this.speed = stepsPerSecond !== null && stepsPerSecond > 0 ? stepsPerSecond : null;
  }

  async selectPrompt(prompt: number): Promise<void> {
    this.prompt = prompt;
    if (!this.playing) await this.flush(true);
  }

  play(): void {
    if (!this.built || this.playing) return;
    if (!this.trainer.anyEnabled) {
      this.notify(ALL_LANES_OFF);
      return;
    }
    this.playing = true;
    // The rate is measured from now: a pause must not count as slow training.
    this.meter.reset();
    this.loop = this.run();
  }

  async pause(): Promise<void> {
    await this.stopLoop();
  }

  /** One lockstep step (when paused), shown at once; never past the run's end. */
  async stepOnce(): Promise<void> {
    await this.stopLoop();
    if (!this.canStep()) return;
    await this.advance();
    await this.flush(true);
  }

  /**
   * Like stepOnce, and takes the step apart (the slow-motion view): per lane, one example of the selected
   * prompt (else the step's first), its weights, and the prompt's policy before and after.
   */
  async explainStep(): Promise<Partial<Record<LaneId, SlowMotionReport>>> {
    await this.stopLoop();
    if (!this.canStep()) return {};
    const before = await this.trainer.readPolicies();
    await this.advance();
    const anatomy = await this.trainer.explainLastStep(before, this.prompt);
    await this.flush(true);
    return anatomy;
  }

  /** One prompt's answers at a sampling setting (the sampling view); training goes on untouched. */
  async sampleAnswers(req: SamplingRequest): Promise<SamplingResult | null> {
    if (!this.built) return null;
    return this.trainer.sampleAnswers(req);
  }

  /**
   * Trains `def` to its last step on a trainer of its own (the same engine the lanes use), as fast as the
   * machine allows, and returns its records: a ghost rebuilt from a share link or a lesson's other presets.
   * The run on the page is untouched; messages (Pause, progress) still get a turn every few milliseconds.
   */
  async rerun(def: RunDefinition): Promise<RerunResult> {
    const next = this.validate(def);
    if (!next.ok) return { ok: false, error: next.errors.join('; ') };
    const trainer = new Trainer({ ...this.deps, loadTask: (config) => this.loadTask(config) });
    try {
      const built = await trainer.build(next.def);
      const records: Partial<Record<LaneId, LaneRecord[]>> = {};
      const starts = await trainer.evaluateStart();
      for (const id of LANE_IDS) if (starts[id] && built.definition.lanes[id]) records[id] = [starts[id]];
      let lastYield = this.now();
      while (trainer.anyEnabled && !trainer.finished) {
        const r = await trainer.stepAll();
        for (const id of LANE_IDS) {
          const rec = r.records[id];
          if (rec) (records[id] ??= []).push(rec);
        }
        if (r.failure) return { ok: false, error: `it stopped at step ${r.failure.step} (${r.failure.lane.toUpperCase()}): ${r.failure.message}` };
        if (this.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToMessages();
          lastYield = this.now();
        }
      }
      return { ok: true, definition: built.definition, records };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    } finally {
      trainer.dispose();
    }
  }

  /** Whether a grader spec would work, with line/column for source errors; the running grader is untouched. */
  async checkGrader(spec: GraderSpec | null): Promise<GraderCheck> {
    if (spec === null) return { ok: true, problems: [] };
    try {
      if (this.deps.validateGrader) {
        const problems = await this.deps.validateGrader(spec);
        return { ok: problems.length === 0, problems };
      }
      this.deps.createGrader(spec).dispose?.();
      return { ok: true, problems: [] };
    } catch (e) {
      return { ok: false, problems: [problemOf(e)] };
    }
  }

  gradeAnswer(answer: string, prompt: number): Promise<BenchResult> {
    return this.trainer.gradeAnswer(answer, prompt);
  }

  progress(): Progress {
    // Paused, nothing trains: the last rate would be stale.
    const rates = this.playing ? this.meter.rates() : { stepsPerSecond: 0, samplesPerSecond: 0 };
    const progress: Progress = { step: this.built ? this.trainer.step : 0, steps: this.built ? this.trainer.definition.config.steps : 0, ...rates, playing: this.playing };
    if (!this.built) return progress;
    const behind = this.trainer.behind();
    if (Object.keys(behind).length) progress.behind = behind;
    if (this.trainer.finished) progress.finished = true;
    return progress;
  }

  /** Whether a step may be taken now; when not, the page is told why (all lanes off, or the run is finished). */
  private canStep(): boolean {
    if (!this.built) return false;
    if (!this.trainer.anyEnabled) {
      this.notify(ALL_LANES_OFF);
      return false;
    }
    if (this.trainer.finished) {
      this.listener({ type: 'finished', progress: this.progress() });
      return false;
    }
    return true;
  }

  private async stopLoop(): Promise<void> {
    this.playing = false;
    if (this.loop) {
      // A step usually ends within milliseconds; one stuck in a slow grader (a long timeout_ms) is stopped.
      const settled = await Promise.race([this.loop.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), STOP_GRACE_MS))]);
      if (!settled) this.trainer.cancelGrading();
      await this.loop;
    }
    this.loop = null;
  }

  /** One lockstep step; false when training must stop (a lane failed). */
  private async advance(): Promise<boolean> {
    const r = await this.trainer.stepAll();
    let steps = 0;
    for (const id of LANE_IDS) {
      const rec = r.records[id];
      if (rec) this.batcher.push(id, rec);
      if (rec) steps = 1;
    }
    this.meter.record(steps, r.samples);
    // Said once per grader and run, not every step.
    for (const note of r.notes) {
      const key = note.replace(/^\w+ step \d+: /, '').replace(/ \(.*\)/, '');
      if (this.noted.has(key)) continue;
      this.noted.add(key);
      this.notify(note);
    }
    if (r.failure) {
      this.playing = false;
      await this.flush(true);
      this.listener({ type: 'failure', failure: r.failure, progress: this.progress() });
      return false;
    }
    return true;
  }

  private async run(): Promise<void> {
    let nextDue = this.now();
    let lastYield = this.now();
    while (this.playing) {
      if (!this.trainer.anyEnabled) {
        // Switched off mid-run: stop rather than spin at "30 steps/s" while nothing trains.
        this.playing = false;
        await this.flush(true);
        this.notify(ALL_LANES_OFF);
        return;
      }
      if (this.trainer.finished) {
        this.playing = false;
        await this.flush(true);
        this.listener({ type: 'finished', progress: this.progress() });
        return;
      }
      if (!(await this.advance())) return;
      if (this.batcher.due()) await this.flush(false);
      if (this.speed !== null) {
        nextDue += 1000 / this.speed;
        const wait = nextDue - this.now();
        // After a slow stretch, do not sprint to catch up.
        if (wait > 0) await sleep(wait);
        else if (wait < -250) nextDue = this.now();
        lastYield = this.now();
      } else if (this.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToMessages();
        lastYield = this.now();
      }
    }
    await this.flush(true);
  }

  /** Sends pending records, with fresh lane snapshots when due (or when `force`). */
  private async flush(force: boolean): Promise<void> {
    const records = this.batcher.take();
    const snapshots: Partial<Record<LaneId, LaneSnapshot>> = {};
    if (force || this.now() - this.lastSnapshot >= SNAPSHOT_INTERVAL_MS) {
      this.lastSnapshot = this.now();
      for (const id of LANE_IDS) {
        const snap = await this.trainer.snapshot(id, this.prompt);
        if (snap) snapshots[id] = snap;
      }
    }
    this.listener({ type: 'batch', records, snapshots, progress: this.progress() });
  }
}

/** An error as a problem line, keeping line/column when the error carries them. */
function problemOf(e: unknown): GraderCheck['problems'][number] {
  const err = e as { message?: unknown; line?: unknown; column?: unknown };
  const problem: GraderCheck['problems'][number] = { message: String(err?.message ?? e) };
  if (typeof err?.line === 'number') problem.line = err.line;
  if (typeof err?.column === 'number') problem.column = err.column;
  return problem;
}
