/**
 * The three lanes of the playground (RFT, DPO, SFT) built from one run
 * definition over the same initial policy, stepped in lockstep. No DOM, no
 * timers: the worker drives it, and the unit tests drive it directly.
 */
import type { Backend } from '../engine/backend.ts';
import type { Config } from '../engine/config.ts';
import type { Lane, StepView } from '../engine/lane.ts';
import { cloneState, positionMarginals, type PolicyState } from '../engine/policy.ts';
import { baseSummary, initialState, makeLane } from '../engine/setup.ts';
import { type GraderSpec, type Task, trainPromptCount, Vocabulary } from '../engine/task.ts';
import type { Grader } from '../graders/types.ts';
import { classifyChange } from './config-diff.ts';
import { answerLogProb, greedyAnswer } from './policy-view.ts';
import { slowMotionReport } from './slow-motion.ts';
import { samplingView } from './sampling-view.ts';
import { LANE_IDS, type LaneFailure, type LaneId, type LaneRecord, type LaneSnapshot, type RunDefinition, type RunInfo } from './protocol.ts';
import type { SamplingRequest, SamplingResult, SlowMotionReport } from './view-protocol.ts';
import { paramCount, type PolicyParameters } from '../engine/policies/index.ts';

/** Pretraining progress of a transformer's base (the page's progress bar). */
export type BaseProgressListener = (p: { step: number; maxSteps: number; checkAccuracy: number | null }) => void;

export interface TrainerDeps {
  /** Builds the task a config names (built-in id or imported files). */
  loadTask(config: Config): Task;
  createGrader(spec: Task['grader']): Grader;
  /** One backend per lane; `badge` describes the first one for the top bar. */
  chooseBackend(pref: Config['backend'], state: PolicyState, config?: Config): Promise<{ backend: Backend; badge: string }>;
  /** Why a task cannot train with an objective (no demonstrations, no pairs), or null. */
  objectiveProblem?(config: Config, task: Task): string | null;
}

interface LaneSlot {
  id: LaneId;
  lane: Lane;
  samplesDrawn: number;
  labelled: number;
  lastView: StepView | null;
}

/** Gallery rows kept per snapshot: enough to read, small enough to post 30 times a second. */
const GALLERY_SIZE = 8;
/** Held-out prompts shown per lane card with the policy's likeliest answer. */
const HELD_OUT_ROWS = 4;

export type LockstepResult = {
  records: Partial<Record<LaneId, LaneRecord>>;
  /** Answers sampled this step over all lanes (for samples/s). */
  samples: number;
  failure: LaneFailure | null;
  /** Lanes' notes that did not stop training ("evaluation grader … failed on every sample"). */
  notes: string[];
};

export class Trainer {
  private slots = new Map<LaneId, LaneSlot>();
  private def!: RunDefinition;
  private task!: Task;
  private shape!: PolicyState['shape'];
  private vocab!: Vocabulary;
  private badge = '';
  /** Scores the SFT table's policy answers; kept while the grader stays the same (a JS grader has a worker to start). */
  private tableGrader: { key: string; grader: Grader } | null = null;
  private backendKind: 'cpu' | 'webgpu' = 'cpu';
  private laneNotes: Partial<Record<LaneId, string>> = {};
  /** Lanes that were asked for but are off because the task has no data for them: they come back when the data does. */
  private autoOff = new Set<LaneId>();
  private importedFiles: string[] = [];

  constructor(private readonly deps: TrainerDeps) {}

  get definition(): RunDefinition {
    return this.def;
  }

  /** Highest step completed by an enabled lane (by any lane when all are off, so the counter does not drop to 0). */
  get step(): number {
    const enabled = [...this.enabledSlots()];
    return Math.max(0, ...(enabled.length ? enabled : [...this.slots.values()]).map((s) => s.lane.completed));
  }

  /** Whether any lane has taken a step: the run is in progress and rebuilding it would lose training. */
  get started(): boolean {
    return [...this.slots.values()].some((s) => s.lane.completed > 0);
  }

  get anyEnabled(): boolean {
    return LANE_IDS.some((id) => this.def?.lanes[id]);
  }

  /**
   * The run is finished when every enabled lane has completed `steps`. A lane
   * switched on late continues from its own step, alone once the others are
   * done, so all lanes end the run with the same number of steps.
   */
  get finished(): boolean {
    const enabled = [...this.enabledSlots()];
    return enabled.length > 0 && enabled.every((s) => s.lane.completed >= this.def.config.steps);
  }

  /** Enabled lanes behind the leader, with their step (a lane switched on late, catching up). */
  behind(): Partial<Record<LaneId, number>> {
    const out: Partial<Record<LaneId, number>> = {};
    const lead = this.step;
    for (const slot of this.enabledSlots()) if (slot.lane.completed < lead) out[slot.id] = slot.lane.completed;
    return out;
  }

  /** Builds every lane afresh from the definition (Reset). Throws readable errors for a bad task or grader. */
  async build(def: RunDefinition, importedFiles: string[] = [], onBaseProgress?: BaseProgressListener): Promise<RunInfo> {
    const task = this.deps.loadTask(def.config);
    const start = initialState(def.config, task, onBaseProgress);
    // The page sends back the lanes this run reported, where a lane without data reads "off"; that lane was
    // switched off here, not by the user, so it is asked for again. Other lane sets (a lesson's preset) are taken as they are.
    const echo = this.def !== undefined && LANE_IDS.every((id) => def.lanes[id] === this.def.lanes[id]);
    const wanted = { ...def.lanes };
    if (echo) for (const id of this.autoOff) wanted[id] = true;
    const { lanes, notes: laneNotes, autoOff } = this.switchForData(wanted, def.config, task);
    const slots = new Map<LaneId, LaneSlot>();
    // Every lane starts from a copy of the same initial policy, so differences come from the objective alone.
    // Backends are created together: a GPU device and its pipelines take a while each.
    const chosen = await Promise.allSettled(LANE_IDS.map(() => this.deps.chooseBackend(def.config.backend, cloneState(start), def.config)));
    const failed = chosen.find((c) => c.status === 'rejected');
    if (failed) {
      for (const c of chosen) if (c.status === 'fulfilled') c.value.backend.dispose();
      throw (failed as PromiseRejectedResult).reason;
    }
    const backends = chosen.map((c) => (c as PromiseFulfilledResult<{ backend: Backend; badge: string }>).value);
    const badge = backends[0].badge;
    const kind = backends[0].backend.kind;
    try {
      LANE_IDS.forEach((id, i) => {
        const { backend } = backends[i];
        const config = { ...def.config, objective: id };
        // The backend holds the lane's copy of the policy; makeLane reads only the shape from `start`.
        const lane = makeLane(config, { task, state: start, backend, grader: this.deps.createGrader(def.config.grader ?? task.grader) });
        slots.set(id, { id, lane, samplesDrawn: 0, labelled: 0, lastView: null });
      });
    } catch (e) {
      for (const b of backends) b.backend.dispose();
      throw e;
    }
    this.dispose();
    this.slots = slots;
    this.def = { config: structuredClone(def.config), lanes };
    this.laneNotes = laneNotes;
    this.autoOff = autoOff;
    this.importedFiles = importedFiles;
    this.task = task;
    this.shape = start.shape;
    this.vocab = new Vocabulary(task.alphabet);
    this.badge = badge;
    this.backendKind = kind;
    return this.info();
  }

  /**
   * Each lane's held-out evaluation of the starting policy (the base, for a transformer), as a step-0 record
   * (only the eval_* metrics). Empty when nothing is held out. Training draws nothing from it.
   */
  async evaluateStart(): Promise<Partial<Record<LaneId, LaneRecord>>> {
    const out: Partial<Record<LaneId, LaneRecord>> = {};
    // Lanes that are on: a lane switched off has no line on the charts (nor in a ghost's list of lanes).
    for (const slot of this.enabledSlots()) {
      if (slot.lane.completed > 0 || !slot.lane.hasHeldOut) continue;
      const evaluation = await slot.lane.evaluate(0);
      if (evaluation) out[slot.id] = { step: 0, ...evaluation.metrics, samples_drawn: 0, labelled_examples: 0 };
    }
    return out;
  }

  info(): RunInfo {
    const task = this.task;
    const prompts = task.items.map((i) => i.prompt);
    const config = this.def.config;
    const maxLen = this.slots.get('rft')!.lane.maxLen;
    return {
      definition: structuredClone(this.def),
      taskTitle: task.title,
      taskDescription: task.description,
      prompts,
      tokens: Array.from({ length: this.vocab.size }, (_, t) => this.vocab.label(t)),
      maxLen,
      demos: task.demos.map((d) => ({ prompt: prompts[d.prompt], answer: d.answer })),
      pairs: task.pairs.map((p) => ({ prompt: prompts[p.prompt], chosen: p.chosen, rejected: p.rejected })),
      graderName: graderLabel(this.def.config.grader ?? task.grader),
      taskGraderName: graderLabel(task.grader),
      backendBadge: this.badge,
      backendKind: this.backendKind,
      laneNotes: { ...this.laneNotes },
      importedFiles: [...this.importedFiles],
      heldOutFrom: trainPromptCount(task),
      model: { kind: config.policy.kind, parameters: paramCount(this.shape), base: baseSummary(config, task) },
    };
  }

  /**
   * Applies a new definition to the running lanes. Knobs apply from the next
   * step; data knobs rebuild demonstrations and pairs but keep the policies;
   * shape changes are reported in `needsReset` and not applied.
   */
  async update(next: RunDefinition): Promise<{ needsReset: string[]; run: RunInfo | null }> {
    const change = classifyChange(this.def.config, next.config);
    if (change.reset.length > 0) {
      // Lane switches still apply; the rest of the config waits for Reset.
      this.def.lanes = this.allowedLanes(next.lanes);
      return { needsReset: change.reset, run: null };
    }
    let task = this.task;
    if (change.data) task = this.deps.loadTask(next.config);
    const graders = new Map<LaneId, Grader>();
    if (change.grader) {
      // Build all three first so a bad grader changes nothing.
      for (const id of LANE_IDS) graders.set(id, this.deps.createGrader(next.config.grader ?? task.grader));
    }
    for (const slot of this.slots.values()) {
      const config = { ...next.config, objective: slot.id };
      if (change.data) {
        // A lane caches its encoded data, so new data means a new lane on the same backend and policy.
        const completed = slot.lane.completed;
        const state = await slot.lane.backend.readState();
        slot.lane = makeLane(config, { task, state, backend: slot.lane.backend, grader: graders.get(slot.id) ?? this.deps.createGrader(next.config.grader ?? task.grader) });
        slot.lane.completed = completed;
      } else {
        slot.lane.setConfig(config);
        const grader = graders.get(slot.id);
        if (grader) slot.lane.setGrader(grader);
      }
    }
    // Which lanes have data is settled at build: a lane without data switched on live would disagree with the page's switch.
    this.def = { config: structuredClone(next.config), lanes: this.allowedLanes(next.lanes) };
    this.task = task;
    return { needsReset: [], run: change.data || change.grader ? this.info() : null };
  }

  /**
   * Switches off the lanes whose objective has no data in this task (e.g. SFT
   * without demonstrations), with the reason shown; `autoOff` remembers which
   * of them were wanted on.
   */
  private switchForData(wanted: RunDefinition['lanes'], config: Config, task: Task) {
    const lanes = { ...wanted };
    const notes: Partial<Record<LaneId, string>> = {};
    const autoOff = new Set<LaneId>();
    for (const id of LANE_IDS) {
      const problem = this.deps.objectiveProblem?.({ ...config, objective: id }, task) ?? null;
      if (!problem) continue;
      notes[id] = problem;
      if (lanes[id]) autoOff.add(id);
      lanes[id] = false;
    }
    return { lanes, notes, autoOff };
  }

  /** The requested lane switches, minus lanes that have no data to learn from (their switches are disabled on the page). */
  private allowedLanes(lanes: RunDefinition['lanes']): RunDefinition['lanes'] {
    const out = { ...lanes };
    for (const id of LANE_IDS) if (this.laneNotes[id]) out[id] = false;
    return out;
  }

  private *enabledSlots(): Iterable<LaneSlot> {
    for (const id of LANE_IDS) if (this.def.lanes[id]) yield this.slots.get(id)!;
  }

  /**
   * One step of every enabled lane that has not reached `steps` (so a lane
   * switched on late catches up). A lane that fails keeps its policy; the others' steps stand.
   */
  async stepAll(): Promise<LockstepResult> {
    const result: LockstepResult = { records: {}, samples: 0, failure: null, notes: [] };
    const slots = [...this.enabledSlots()].filter((s) => s.lane.completed < this.def.config.steps);
    const outcomes = await Promise.all(
      slots.map(async (slot) => {
        try {
          return await slot.lane.step();
        } catch (e) {
          return { ok: false as const, step: slot.lane.completed + 1, reason: 'error' as const, message: (e as Error).message };
        }
      }),
    );
    outcomes.forEach((outcome, i) => {
      const slot = slots[i];
      if (!outcome.ok) {
        // Stopped on request while grading: the lane simply did not take this step.
        if (outcome.reason === 'cancelled') return;
        result.failure ??= { lane: slot.id, step: outcome.step, reason: outcome.reason, message: outcome.message };
        return;
      }
      const cost = stepCost(slot.id, this.def.config, outcome.view);
      slot.samplesDrawn += cost.samples;
      slot.labelled += cost.labelled;
      slot.lastView = outcome.view;
      result.samples += outcome.view.texts.length;
      result.records[slot.id] = { ...outcome.metrics, samples_drawn: slot.samplesDrawn, labelled_examples: slot.labelled };
      for (const note of outcome.notes ?? []) result.notes.push(`${slot.id.toUpperCase()} step ${outcome.metrics.step}: ${note}`);
    });
    return result;
  }

  /** What a lane card shows now: latest samples, pairs or demonstrations, rewards and the heatmap of one prompt. */
  async snapshot(id: LaneId, prompt: number): Promise<LaneSnapshot | null> {
    const slot = this.slots.get(id);
    if (!slot) return null;
    // Parameters only: the heatmap and the tables need no optimizer moments.
    const policy = await slot.lane.backend.readPolicy();
    const state = { shape: policy.shape, logits: policy.params, ref: policy.ref };
    const prompts = this.task.items;
    const p = Math.min(Math.max(0, prompt), prompts.length - 1);
    const view = slot.lastView;
    const snap: LaneSnapshot = {
      step: slot.lane.completed,
      gallery: [],
      rewards: view ? Array.from(view.scores) : [],
      heatmap: positionMarginals(state.logits, state.shape, p).map((row) => Array.from(row)),
    };
    if (view) {
      // Spread over the batch so the gallery shows several prompts, not one prompt's group.
      const n = Math.min(GALLERY_SIZE, view.texts.length);
      for (let k = 0; k < n; k++) {
        const i = Math.floor((k * view.texts.length) / n);
        snap.gallery.push({ prompt: prompts[view.promptOf[i]].prompt, text: view.texts[i], score: view.scores[i] });
      }
    }
    if (view?.pairs) {
      const beta = this.def.config.dpo.beta;
      const implicit = (prompt: number, answer: string) =>
        beta * (answerLogProb(state.logits, state.shape, prompt, answer, this.vocab) - answerLogProb(state.ref, state.shape, prompt, answer, this.vocab));
      snap.pairs = view.pairs.slice(0, GALLERY_SIZE).map((pr) => ({
        prompt: prompts[pr.prompt].prompt,
        chosen: pr.chosen,
        rejected: pr.rejected,
        chosenReward: implicit(pr.prompt, pr.chosen),
        rejectedReward: implicit(pr.prompt, pr.rejected),
      }));
    }
    if (view?.demos) {
      const demos = view.demos.slice(0, GALLERY_SIZE);
      const answers = demos.map((d) => greedyAnswer(state.logits, state.shape, d.prompt, this.vocab));
      // Coloured by the grader, as the other lanes' tables: an answer can be right without being the demonstration (Palindrome).
      const scores = await this.scoreForTable(answers, demos.map((d) => prompts[d.prompt]));
      snap.demos = demos.map((d, i) => ({ prompt: prompts[d.prompt].prompt, demonstration: d.answer, policyAnswer: answers[i], policyScore: scores[i] }));
    }
    const heldOutFrom = trainPromptCount(this.task);
    if (heldOutFrom < prompts.length) {
      // A few prompts it never trained on, the selected one first when it is one of them: what transfers, or not.
      const picks = [...new Set([...(p >= heldOutFrom ? [p] : []), ...Array.from({ length: Math.min(HELD_OUT_ROWS, prompts.length - heldOutFrom) }, (_, k) => heldOutFrom + k)])].slice(0, HELD_OUT_ROWS);
      const answers = picks.map((i) => greedyAnswer(state.logits, state.shape, i, this.vocab));
      const scores = await this.scoreForTable(answers, picks.map((i) => prompts[i]));
      snap.heldOut = picks.map((i, k) => ({ prompt: prompts[i].prompt, text: answers[k], score: scores[k] ?? Number.NaN, heldOut: true }));
    }
    return snap;
  }

  /** Each enabled lane's policy and step count, read before a step that is to be explained. */
  async readPolicies(): Promise<Map<LaneId, { state: PolicyState; completed: number }>> {
    const out = new Map<LaneId, { state: PolicyState; completed: number }>();
    for (const slot of this.enabledSlots()) out.set(slot.id, { state: await slot.lane.backend.readState(), completed: slot.lane.completed });
    return out;
  }

  /**
   * The step just taken, taken apart (the slow-motion view), for each lane that took it (lanes that failed
   * are left out): the example of `prompt` when the step had one.
   */
  async explainLastStep(before: Map<LaneId, { state: PolicyState; completed: number }>, prompt = 0): Promise<Partial<Record<LaneId, SlowMotionReport>>> {
    const out: Partial<Record<LaneId, SlowMotionReport>> = {};
    for (const [id, b] of before) {
      const slot = this.slots.get(id)!;
      if (slot.lane.completed !== b.completed + 1 || !slot.lastView) continue;
      const after = await slot.lane.backend.readState();
      const report = slowMotionReport(id, slot.lane.completed, this.def.config, slot.lastView, b.state, after, this.task, prompt);
      if (report) out[id] = report;
    }
    return out;
  }

  /** Each lane's parameters as of its last step, read once per step however often the sampling view redraws. */
  private previewPolicies = new Map<LaneId, { lane: Lane; completed: number; policy: Promise<PolicyParameters> }>();

  /** One prompt's answers under a sampling setting (the sampling view): exact probabilities and fresh samples, the run untouched. */
  async sampleAnswers(req: SamplingRequest): Promise<SamplingResult | null> {
    const slot = this.slots.get(req.lane);
    if (!slot) return null;
    let cached = this.previewPolicies.get(req.lane);
    if (!cached || cached.lane !== slot.lane || cached.completed !== slot.lane.completed) {
      cached = { lane: slot.lane, completed: slot.lane.completed, policy: slot.lane.backend.readPolicy() };
      this.previewPolicies.set(req.lane, cached);
    }
    try {
      return samplingView(await cached.policy, this.vocab, req, this.def.config.seed, cached.completed);
    } catch (e) {
      // A failed read (a device lost mid-read) is not kept: the next request reads again.
      if (this.previewPolicies.get(req.lane) === cached) this.previewPolicies.delete(req.lane);
      throw e;
    }
  }

  /** The running grader applied to one typed answer (the grader panel's test bench). */
  async gradeAnswer(answer: string, prompt: number): Promise<{ score: number; subScores: Record<string, number>; error: string | null }> {
    const grader = this.deps.createGrader(this.def.config.grader ?? this.task.grader);
    try {
      const item = this.task.items[Math.min(Math.max(0, prompt), this.task.items.length - 1)];
      const r = await grader.grade([{ output_text: answer }], [item]);
      const subScores = Object.fromEntries(Object.entries(r.subScores ?? {}).map(([k, v]) => [k, v[0]]));
      return { score: r.scores[0], subScores, error: r.firstError };
    } finally {
      grader.dispose?.();
    }
  }

  private async scoreForTable(answers: string[], items: Task['items']): Promise<(number | null)[]> {
    const spec = this.def.config.grader ?? this.task.grader;
    const key = JSON.stringify(spec);
    if (this.tableGrader?.key !== key) {
      this.tableGrader?.grader.dispose?.();
      this.tableGrader = { key, grader: this.deps.createGrader(spec) };
    }
    try {
      const r = await this.tableGrader.grader.grade(answers.map((output_text) => ({ output_text })), items);
      return Array.from(r.scores, (s, i) => (r.failed?.[i] || (r.errors === answers.length && !r.failed) ? null : s));
    } catch {
      return answers.map(() => null);
    }
  }

  /** Stops every lane's grading in progress (and the test bench's), so a pause or reset happens now. */
  cancelGrading(): void {
    for (const slot of this.slots.values()) slot.lane.cancelGrading();
    this.tableGrader?.grader.cancel?.();
  }

  dispose(): void {
    this.tableGrader?.grader.dispose?.();
    this.tableGrader = null;
    for (const slot of this.slots.values()) {
      // Every grader runs in workers of its own: a replaced run must not leave them running.
      slot.lane.disposeGraders();
      slot.lane.backend.dispose();
    }
    this.slots.clear();
  }
}

/**
 * What one step cost, for the comparison budget selector.
 * samples: answers the update learned from (RFT's candidates, DPO's chosen +
 * rejected, SFT's demonstrations). labelled: examples carrying a label (graded
 * prompts for RFT and online DPO, preference pairs, demonstrations).
 */
export function stepCost(id: LaneId, config: Config, view: StepView): { samples: number; labelled: number } {
  if (id === 'sft') {
    const n = view.demos?.length ?? 0;
    return { samples: n, labelled: n };
  }
  if (id === 'dpo') {
    const pairs = view.pairs?.length ?? 0;
    return { samples: 2 * pairs, labelled: config.dpo.pairs === 'online' ? new Set(view.promptOf).size : pairs };
  }
  return { samples: view.texts.length, labelled: new Set(view.promptOf).size };
}

/** How a grader is named on the page: its name, else its type. */
function graderLabel(spec: GraderSpec): string {
  return String(spec.name ?? spec.type);
}
