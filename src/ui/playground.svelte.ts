/**
 * The page's state: the run definition being edited, what the worker last
 * reported, and the actions behind every button. Components read its fields
 * and call its methods; only this class talks to the worker.
 */
import { listen, type TrainingClient } from '../worker/client.ts';
import {
  LANE_IDS,
  listPhrase,
  nounCount,
  type BenchResult,
  type GraderCheck,
  type ImportedFile,
  type LaneFailure,
  type LaneId,
  type LaneSnapshot,
  type Progress,
  type RunDefinition,
  type RunInfo,
  type TaskInfo,
  type UpdateResult,
  type WorkerEvent,
} from '../worker/protocol.ts';
import type { GraderSpec } from '../engine/task.ts';
import type { SamplingRequest, SamplingResult, SlowMotionReport } from '../worker/view-protocol.ts';
import { knobLabel, setPath, withPolicyKind } from './knobs.ts';
import { type ChartSpec, sharedCharts } from './chart-specs.ts';
import type { PolicyKind } from '../engine/enums.ts';
import { type Budget, MetricHistory } from './metric-history.ts';
import { addGhost, clearGhosts, diffLabel, type Ghost, ghostLabel, hasRecords, MAX_GHOST_LABEL, recordsOf, removeGhost, updateGhost } from './ghosts.ts';

/** What names a run for its ghost: a lesson preset's label, and which preset it was. */
export interface RunMeta {
  name: string;
  origin?: Ghost['origin'];
}

/** Steps per second offered by the speed control; null = as fast as possible. */
export const SPEEDS: readonly (number | null)[] = [1, 3, 10, 30, 100, null];

export interface Banner {
  kind: 'error' | 'info';
  text: string;
}

/** Plain words for a lane that could not take its step. */
export function describeFailure(f: LaneFailure): string {
  const lane = f.lane.toUpperCase();
  // The engine's message names the step and the learning rate and says the last good state was kept.
  if (f.reason === 'diverged') return `${lane} stopped — ${f.message}. Lower the learning rate and press Play.`;
  if (f.reason === 'grader') return `${lane} stopped: the grader failed — ${f.message}. Fix the grader and press Play.`;
  return `${lane} stopped at step ${f.step}: ${f.message}`;
}

/**
 * The prompt the heatmaps show first: one whose answer differs from the prompt and uses the most distinct
 * characters, so the heatmap tells the task apart from copying ("cac" reversed is "cac"; "bac" is "cab").
 */
export function teachingPrompt(run: Pick<RunInfo, 'prompts' | 'demos'>): number {
  let best = 0;
  let bestScore = -1;
  run.prompts.forEach((p, i) => {
    const answer = run.demos.find((d) => d.prompt === p)?.answer;
    if (answer === undefined) return;
    const score = answer === p ? 0 : 1 + new Set(answer).size;
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return best;
}

/** Something that happened during the run, marked on the charts' time axis. */
export interface RunEvent {
  /** The last step trained before it: the change applies from the next step. */
  step: number;
  label: string;
  kind: 'knob' | 'lesson';
  /** Same key soon after (a slider drag): one mark, with the last value. */
  key: string;
  at: number;
}

/** How a knob's new value reads on a mark ("Learning rate → 0.3"). */
export function eventValue(value: unknown): string {
  if (typeof value === 'number') return String(Number(value.toPrecision(3)));
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (value === null || value === undefined) return 'default';
  if (typeof value === 'object') {
    const v = value as { name?: unknown; type?: unknown };
    return String(v.name ?? v.type ?? 'changed');
  }
  return String(value);
}

/** DPO's own `rewards/…` metrics (β-implicit rewards), which are not evaluation graders. */
const DPO_REWARDS = new Set(['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies']);

export class Playground {
  tasks = $state.raw<TaskInfo[]>([]);
  /** The definition the controls show (may hold changes waiting for Reset). */
  definition = $state.raw<RunDefinition | null>(null);
  run = $state.raw<RunInfo | null>(null);
  progress = $state.raw<Progress>({ step: 0, steps: 0, stepsPerSecond: 0, samplesPerSecond: 0, playing: false });
  snapshots = $state.raw<Partial<Record<LaneId, LaneSnapshot>>>({});
  /** Labels of changed knobs that only apply after Reset. */
  pendingReset = $state.raw<string[]>([]);
  banner = $state.raw<Banner | null>(null);
  /** Problems with the last edit (bad value, bad grader); the run goes on with the previous one. */
  configErrors = $state.raw<string[]>([]);
  importErrors = $state.raw<string[]>([]);
  budget = $state<Budget>('steps');
  speedIndex = $state(3);
  selectedPrompt = $state(0);
  /** The defaults the worker reported at start (for "reset to defaults"). */
  defaults = $state.raw<RunDefinition | null>(null);
  /** The grader editor's last custom code, applied or not (saved, so it survives a reload and a restore of the defaults). */
  customGraderCode = $state<string | null>(null);
  /** Data files imported since the run last left a built-in task, as given: saved so they survive a reload. */
  importedFiles = $state.raw<ImportedFile[]>([]);
  /**
   * The user's own run while a lesson or the guided first run has borrowed the playground, and who
   * borrowed it ("the lesson"). Saved work keeps this one, so a preset never survives a reload unless kept.
   */
  ownSetup = $state.raw<{ definition: RunDefinition; by: string } | null>(null);
  /** Bumped whenever a new run replaces the old one (Reset, a preset, a task applied at step 0): panels that copy the run re-read it. */
  generation = $state(0);
  /** EMA weight of the charts' lines (0 = raw; TensorBoard's 0–0.99). */
  smoothing = $state(0);
  /** Knob changes and lesson events of this run, marked on the charts. */
  events = $state.raw<RunEvent[]>([]);
  /** Bumped after each batch; charts redraw when it changes. */
  version = $state(0);
  /** The last step taken apart (the slow-motion views), per lane; cleared when a new run replaces the old one. */
  slowMotion = $state.raw<Partial<Record<LaneId, SlowMotionReport>>>({});
  readonly history = new MetricHistory();
  /** A transformer's base being pretrained while a run is built (null otherwise): the progress bar. */
  pretraining = $state.raw<{ step: number; maxSteps: number; checkAccuracy: number | null; target: number } | null>(null);
  /** Earlier runs kept faintly on the charts (src/ui/ghosts.ts), oldest first. */
  ghosts = $state.raw<Ghost[]>([]);
  /** Why the last run was not kept as a ghost, or what a ghost rebuild is doing; null when there is nothing to say. */
  ghostNote = $state<string | null>(null);
  /** The name of the run on the charts (a preset's), given to its ghost when it is replaced. */
  private runMeta: RunMeta | null = null;
  private nextRunMeta: RunMeta | null = null;
  private ghostSeq = 0;
  private runOrdinal = 1;
  private readonly client: TrainingClient;
  /** Serialises edits so a slow update never overtakes a later one. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(client: TrainingClient) {
    this.client = client;
  }

  /**
   * Starts the worker and builds the first run: `initial` (from a share link
   * or saved work) when given and valid, else the defaults, so a link applies
   * before the first step. Returns the reasons `initial` was refused.
   */
  async start(initial?: RunDefinition): Promise<string[]> {
    const info = await this.client.start(listen((e) => this.onEvent(e)));
    this.tasks = info.tasks;
    this.defaults = info.defaults;
    await this.client.setSpeed(SPEEDS[this.speedIndex]);
    let refused: string[] = [];
    let r = await this.client.reset(initial ?? info.defaults);
    if (initial && !r.ok) {
      refused = r.errors;
      r = await this.client.reset(info.defaults);
    }
    this.definition = info.defaults;
    this.accept(r, true);
    // "Ready to train": the first moment the page is usable, for performance tests and the console.
    performance.mark('rft-playground-ready');
    return refused;
  }

  get playing(): boolean {
    return this.progress.playing;
  }

  enabledLanes(): LaneId[] {
    const def = this.definition;
    return def ? LANE_IDS.filter((id) => def.lanes[id]) : [];
  }

  private onEvent(e: WorkerEvent): void {
    if (e.type === 'batch') {
      this.history.append(e.records);
      if (Object.keys(e.snapshots).length) this.snapshots = { ...this.snapshots, ...e.snapshots };
      this.version++;
    } else if (e.type === 'failure') {
      this.banner = { kind: 'error', text: describeFailure(e.failure) };
    } else if (e.type === 'pretraining') {
      this.pretraining = { step: e.step, maxSteps: e.maxSteps, checkAccuracy: e.checkAccuracy, target: e.target };
      return;
    } else if (e.type === 'finished') {
      this.banner = { kind: 'info', text: `Finished ${nounCount(e.progress.steps, 'step')}. Raise “Steps” to keep training.` };
    } else {
      this.banner = { kind: 'info', text: e.message };
      return;
    }
    this.progress = e.progress;
  }

  private accept(r: UpdateResult, fresh: boolean): void {
    this.pretraining = null;
    if (!r.ok) {
      this.configErrors = r.errors;
      return;
    }
    this.configErrors = [];
    // One phrase ("Task, Seed and Policy kind"): the notice prints the list as given.
    this.pendingReset = r.needsReset.length ? [listPhrase(r.needsReset.map(knobLabel))] : [];
    if (r.run) {
      const before = this.run;
      this.run = r.run;
      if (fresh) {
        this.definition = r.run.definition;
        if (before) this.keepAsGhost(before.definition, r.run.definition);
        this.history.clear();
        const start = r.run.start ?? {};
        this.history.append(Object.fromEntries(LANE_IDS.flatMap((id) => (start[id] ? [[id, [start[id]]]] : []))));
        this.events = [];
        this.snapshots = {};
        this.slowMotion = {};
        this.version++;
        this.generation++;
        const samePrompts = before !== null && before.prompts.join('\u0000') === r.run.prompts.join('\u0000');
        if (samePrompts) this.selectedPrompt = Math.min(this.selectedPrompt, r.run.prompts.length - 1);
        else void this.selectPrompt(teachingPrompt(r.run));
      }
    }
  }

  /** The run being replaced becomes a ghost (when it trained at all), labelled by what differs from `next`. */
  private keepAsGhost(previous: RunDefinition, next: RunDefinition): void {
    const meta = this.nextRunMeta ?? (diffLabel(previous, next) === null ? this.runMeta : null);
    const records = recordsOf(this.history.toJSON());
    if (hasRecords(records)) {
      const label = ghostLabel(previous, next, this.runMeta?.name ?? null, this.runOrdinal);
      this.pushGhost({ id: ++this.ghostSeq, label, definition: structuredClone(previous), records, hidden: false, pinned: false, origin: this.runMeta?.origin });
      this.runOrdinal++;
    }
    this.runMeta = meta;
    this.nextRunMeta = null;
  }

  private pushGhost(ghost: Omit<Ghost, 'slot'>): void {
    const r = addGhost(this.ghosts, ghost);
    this.ghostNote = r.refused;
    this.setGhosts(r.ghosts);
  }

  private setGhosts(list: Ghost[]): void {
    this.ghosts = list;
    this.history.ghosts = list;
    this.version++;
  }

  setGhostHidden(id: number, hidden: boolean): void {
    this.setGhosts(updateGhost(this.ghosts, id, { hidden }));
  }

  setGhostPinned(id: number, pinned: boolean): void {
    this.setGhosts(updateGhost(this.ghosts, id, { pinned }));
  }

  removeGhost(id: number): void {
    this.setGhosts(removeGhost(this.ghosts, id));
  }

  clearGhosts(keepPinned = false): void {
    this.ghostNote = null;
    this.setGhosts(clearGhosts(this.ghosts, keepPinned));
  }

  /**
   * Trains each definition headless in the worker, at full speed, and adds it as a ghost with its label
   * (a share link's ghosts, a lesson's other presets). One that cannot run is reported and skipped; the
   * others and the current run are untouched. Returns one line per problem.
   */
  async rebuildGhosts(entries: readonly { label: string; definition: RunDefinition; origin?: Ghost['origin'] }[]): Promise<string[]> {
    const problems: string[] = [];
    for (const [i, e] of entries.entries()) {
      const label = e.label.slice(0, MAX_GHOST_LABEL);
      this.ghostNote = `Rebuilding ghost ${i + 1} of ${entries.length}: “${label}”…`;
      const r = await this.client.rerun(e.definition);
      if (!r.ok) {
        problems.push(`ghost “${label}”: ${r.error}`);
        continue;
      }
      this.pushGhost({ id: ++this.ghostSeq, label, definition: r.definition, records: r.records, hidden: false, pinned: false, origin: e.origin });
    }
    if (this.ghostNote?.startsWith('Rebuilding')) this.ghostNote = null;
    return problems;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const p = this.queue.then(job, job);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Changes one knob; it applies at the next step, or waits for Reset when it changes the policy's shape. */
  setKnob(path: string, value: unknown): Promise<void> {
    if (!this.definition) return Promise.resolve();
    const config = path === 'policy.kind' ? withPolicyKind(this.definition.config, value as PolicyKind) : setPath(this.definition.config, path, value);
    const next: RunDefinition = { ...this.definition, config };
    return this.apply(next, { key: path, label: `${path === 'grader' ? 'Grader' : knobLabel(path)} → ${eventValue(value)}` });
  }

  setLane(id: LaneId, on: boolean): Promise<void> {
    if (!this.definition) return Promise.resolve();
    return this.apply({ ...this.definition, lanes: { ...this.definition.lanes, [id]: on } }, { key: `lane.${id}`, label: `${id.toUpperCase()} lane ${on ? 'on' : 'off'}` });
  }

  /** `mark`: the change to mark on the charts, when it applies mid-run (not one that waits for Reset or rebuilds). */
  apply(next: RunDefinition, mark?: { key: string; label: string }): Promise<void> {
    this.definition = next;
    return this.enqueue(async () => {
      const r = await this.client.update(next);
      this.accept(r, r.ok && r.rebuilt === true);
      if (r.ok && r.rebuilt) this.progress = await this.client.progress();
      else if (r.ok && mark && !r.needsReset.includes(mark.key)) this.markEvent('knob', mark.key, mark.label);
    });
  }

  /**
   * Marks an event at the current step on the charts. Nothing is marked before the first step (it would
   * sit on the axis), and a repeat of the same key within 1.5 s (a slider being dragged) updates one mark.
   */
  markEvent(kind: RunEvent['kind'], key: string, label: string): void {
    const step = this.progress.step;
    if (step === 0) return;
    const now = Date.now();
    const last = this.events.at(-1);
    if (last && last.key === key && (last.step === step || now - last.at < 1500)) this.events = [...this.events.slice(0, -1), { ...last, label, at: now }];
    else this.events = [...this.events, { step, label, kind, key, at: now }];
    this.version++;
  }

  setSmoothing(weight: number): void {
    this.smoothing = Math.min(0.99, Math.max(0, weight));
    this.version++;
  }

  /** Evaluation graders: the config's, and any a task brings (add-contains logs rewards/exact_match), once a step records them. */
  /** Whether the run holds prompts out (the charts then draw held-out lines). */
  get hasHeldOut(): boolean {
    return this.run !== null && this.run.heldOutFrom < this.run.prompts.length;
  }

  /** The shared charts of this run (the charts panel and the debug hook draw the same ones). */
  sharedCharts(): ChartSpec[] {
    return sharedCharts(this.enabledLanes(), this.evalGraderNames(), this.hasHeldOut);
  }

  evalGraderNames(): string[] {
    const names = new Set(Object.keys(this.run?.definition.config.eval_graders ?? {}));
    for (const lane of this.enabledLanes()) {
      // The first training step's record (a step-0 record holds only the held-out evaluation).
      const first = this.history.of(lane).find((r) => r.step > 0);
      if (first) for (const key of Object.keys(first)) if (key.startsWith('rewards/') && !DPO_REWARDS.has(key)) names.add(key.slice('rewards/'.length));
    }
    return [...names].sort();
  }

  togglePlay(): Promise<void> {
    return this.enqueue(async () => {
      if (this.progress.playing) {
        await this.client.pause();
      } else {
        this.banner = null;
        this.progress = { ...this.progress, playing: true };
        await this.client.play();
      }
      this.progress = await this.client.progress();
    });
  }

  step(): Promise<void> {
    return this.enqueue(async () => {
      this.banner = null;
      await this.client.stepOnce();
      this.progress = await this.client.progress();
    });
  }

  reset(): Promise<void> {
    const def = this.definition;
    return this.enqueue(async () => {
      this.banner = null;
      const r = await this.client.reset(def ?? undefined);
      this.accept(r, true);
      if (!r.ok) this.banner = { kind: 'error', text: `Reset failed: ${r.errors.join('; ')}` };
      this.progress = await this.client.progress();
    });
  }

  /**
   * Replaces the whole run (a lesson's preset, a chooser's experiment) and
   * rebuilds it paused; errors show as a banner. `config` may be partial: the
   * worker validates it and fills the defaults, and the controls show the
   * result only once it is back, so they never see a half config.
   */
  loadRun(def: { config: object; lanes: RunDefinition['lanes'] }, meta?: RunMeta): Promise<void> {
    return this.enqueue(async () => {
      this.banner = null;
      this.nextRunMeta = meta ?? null;
      const r = await this.client.reset(def as RunDefinition);
      if (!r.ok) this.nextRunMeta = null;
      this.accept(r, true);
      if (!r.ok) this.banner = { kind: 'error', text: `Could not load the run: ${r.errors.join('; ')}` };
      this.progress = await this.client.progress();
    });
  }

  /**
   * A preset borrows the playground (a lesson, the guided run): the user's own run is kept aside the
   * first time, so leaving can give it back. Later presets of the same visit keep the first own run.
   */
  async borrow(by: string, def: { config: object; lanes: RunDefinition['lanes'] }, meta?: RunMeta): Promise<void> {
    const own = this.ownSetup ?? (this.definition ? { definition: this.definition, by } : null);
    // Where the maths runs is this machine's choice, not part of the experiment: a preset without one keeps the user's.
    const backend = this.definition?.config.backend;
    await this.loadRun(backend && !('backend' in def.config) ? { ...def, config: { backend, ...def.config } } : def, meta);
    if (own) this.ownSetup = { ...own, by };
  }

  /** Puts the user's own run back (from step 0) and forgets the borrowed one. */
  async returnToOwnSetup(): Promise<void> {
    const own = this.ownSetup;
    if (!own) return;
    await this.loadRun({ config: own.definition.config, lanes: own.definition.lanes });
    if (this.banner?.kind !== 'error') this.ownSetup = null;
  }

  /** The user keeps the borrowed run as their own: it is saved from now on. */
  keepBorrowedSetup(): void {
    this.ownSetup = null;
  }

  /** One step (like Step), taken apart lane by lane for the slow-motion views (lane cards, lesson 2); kept in `slowMotion`. */
  explainStep(): Promise<Partial<Record<LaneId, SlowMotionReport>>> {
    return this.enqueue(async () => {
      this.banner = null;
      const reports = await this.client.explainStep();
      this.slowMotion = reports;
      this.progress = await this.client.progress();
      return reports;
    });
  }

  /** One prompt's answers at a sampling setting (the sampling view). Not queued behind edits: it reads, and changes nothing. */
  sampleAnswers(req: SamplingRequest): Promise<SamplingResult | null> {
    return this.client.sampleAnswers(req);
  }

  setSpeed(index: number): Promise<void> {
    this.speedIndex = index;
    return this.client.setSpeed(SPEEDS[index]);
  }

  selectPrompt(index: number): Promise<void> {
    this.selectedPrompt = index;
    return this.client.selectPrompt(index);
  }

  setBudget(budget: Budget): void {
    this.budget = budget;
    this.version++;
  }

  /**
   * Checks a grader in the worker and applies it only when it works, so a
   * broken grader never stops the run; the problems are returned for display.
   */
  async setGrader(spec: GraderSpec | null): Promise<GraderCheck['problems']> {
    const check = await this.client.checkGrader(spec);
    if (!check.ok) return check.problems;
    await this.setKnob('grader', spec);
    return this.configErrors.map((message) => ({ message }));
  }

  gradeAnswer(answer: string, prompt: number): Promise<BenchResult> {
    return this.client.gradeAnswer(answer, prompt);
  }

  importFiles(files: ImportedFile[]): Promise<void> {
    return this.enqueue(async () => {
      const r = await this.client.importData(files, this.definition ?? undefined);
      if (!r.ok) {
        this.importErrors = r.errors;
        return;
      }
      this.importErrors = [];
      // Files add to an imported task; over a built-in task they start a new one (as the worker does).
      const kept = typeof this.definition?.config.task === 'string' ? [] : this.importedFiles.filter((f) => !files.some((n) => n.name === f.name));
      this.importedFiles = [...kept, ...files];
      if (r.run) this.accept({ ok: true, needsReset: [], run: r.run }, true);
      else {
        // A run in progress keeps its data; the files apply on Reset, like a Task change.
        this.definition = r.definition;
        this.accept({ ok: true, needsReset: r.needsReset, run: null }, false);
      }
      this.progress = await this.client.progress();
    });
  }
}
