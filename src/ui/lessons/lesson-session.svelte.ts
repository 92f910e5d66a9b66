/**
 * The state of the lessons panel: which lesson is open, where the student is
 * in it, their answers (kept on this device by the progress store), which of
 * the lesson's runs is on the playground, and the records of runs finished
 * earlier so claims that compare two runs can be checked. Only this class
 * asks the playground to load a run.
 */
import type { RunRecords } from '../../lessons/claims.ts';
import { laneSwitches, lessonById, type Lesson, type PresetRun } from '../../lessons/index.ts';
import { createProgressStore, quizPassed, type LessonProgress, type PersistenceStatus, type ProgressStore } from '../../lessons/progress.ts';
import { LANE_IDS, type LaneId, type LaneRecord, type RunDefinition } from '../../worker/protocol.ts';
import type { Playground } from '../playground.svelte.ts';
import type { LessonLink } from './lesson-link.ts';
import { liveVerdicts, type LiveVerdict } from './live-claims.ts';

export class LessonSession {
  lesson = $state.raw<Lesson | null>(null);
  step = $state(0);
  progress = $state.raw<LessonProgress | null>(null);
  /** Progress of every lesson, for the list's "done" marks. */
  all = $state.raw<Readonly<Record<string, LessonProgress>>>({});
  storage = $state.raw<PersistenceStatus>({ persisted: false, problem: null, unreadable: null });
  /** The preset run on the playground, by lesson and run id; null when the playground shows something else. */
  loaded = $state.raw<{ lesson: string; run: string } | null>(null);
  /** Seed fixed by a teacher's link: every preset loads with it. */
  fixedSeed = $state<number | null>(null);
  /** A teacher's link covers claim checks and "what to look for" until Reveal is pressed. */
  coverResults = $state(false);
  revealed = $state(false);
  problems = $state.raw<string[]>([]);
  /** A preset is being built (a GPU run takes a moment): the view says so and holds its load buttons. */
  loading = $state(false);
  /** The lesson's other runs are being trained as ghosts ("Show every run on the charts"). */
  comparing = $state(false);
  /** Bumped when records of finished runs arrive outside a page batch (runs trained as ghosts): claim checks re-read them. */
  private revision = $state(0);
  /** Step counts each run was loaded with (claims are about complete runs), by lesson then run id. */
  private requiredSteps: Record<string, Record<string, number>> = {};
  /** Records of runs replaced on the playground, by lesson then run id. */
  private finished: Record<string, RunRecords> = {};

  constructor(
    private readonly pg: Playground,
    private readonly store: ProgressStore = createProgressStore(() => globalThis.localStorage ?? null),
  ) {
    this.refresh();
  }

  private refresh(): void {
    this.all = this.store.all();
    this.progress = this.lesson ? this.store.get(this.lesson.id) : null;
    this.storage = this.store.status();
  }

  /** Opens a lesson (from the list or a link); a link may also pick the run, fix the seed and cover results. */
  open(id: string, link?: LessonLink): boolean {
    const lesson = lessonById(id);
    if (!lesson) {
      this.problems = [`There is no lesson “${id}”.`];
      return false;
    }
    this.lesson = lesson;
    this.problems = [];
    this.step = Math.min(this.store.get(id).stepReached, lesson.steps.length - 1);
    if (link) {
      this.fixedSeed = link.seed;
      this.coverResults = link.reveal;
      this.revealed = !link.reveal;
    }
    this.refresh();
    return true;
  }

  closeLesson(): void {
    this.lesson = null;
    this.refresh();
  }

  goToStep(step: number): void {
    if (!this.lesson) return;
    const before = this.step;
    this.step = Math.max(0, Math.min(step, this.lesson.steps.length - 1));
    this.store.reachStep(this.lesson.id, this.step);
    // Marked on the charts: which part of the lesson the student read while the run went on.
    if (this.step !== before) this.pg.markEvent('lesson', `lesson.${this.lesson.id}.step`, `Lesson ${this.lesson.number}, part ${this.step + 1}`);
    this.refresh();
  }

  predict(index: number, choice: number): void {
    if (!this.lesson) return;
    this.store.predict(this.lesson.id, index, choice);
    this.pg.markEvent('lesson', `lesson.${this.lesson.id}.predict.${index}`, `Lesson ${this.lesson.number}: prediction`);
    this.refresh();
  }

  answer(questionId: string, choice: number): void {
    const lesson = this.lesson;
    if (!lesson) return;
    this.store.answerQuiz(lesson.id, questionId, choice);
    if (quizPassed(lesson.quiz, this.store.get(lesson.id))) this.store.markCompleted(lesson.id);
    this.refresh();
  }

  resetLesson(): void {
    if (!this.lesson) return;
    this.store.reset(this.lesson.id);
    this.step = 0;
    this.refresh();
  }

  /** Puts one of a lesson's runs on the playground, paused; the run shown before keeps its records for comparisons. */
  async loadRun(lesson: Lesson, run: PresetRun): Promise<void> {
    this.keepCurrentRecords();
    this.loaded = null;
    const config = this.fixedSeed === null ? run.config : { ...run.config, seed: this.fixedSeed };
    this.loading = true;
    try {
      // Named for its ghost: when the next preset replaces it, it stays on the charts as “<the preset's label>”.
      await this.pg.borrow('the lesson', { config, lanes: laneSwitches(run) }, { name: run.label, origin: { lesson: lesson.id, run: run.id } });
    } finally {
      this.loading = false;
    }
    const def = this.pg.run?.definition;
    if (!def || this.pg.banner?.kind === 'error') {
      this.loaded = null;
      return;
    }
    (this.requiredSteps[lesson.id] ??= {})[run.id] = def.config.steps;
    delete this.finished[lesson.id]?.[run.id];
    this.loaded = { lesson: lesson.id, run: run.id };
  }

  private keepCurrentRecords(): void {
    const current = this.loaded;
    if (!current) return;
    const history = this.pg.history.toJSON();
    const lanes: Partial<Record<string, typeof history.rft>> = {};
    for (const id of LANE_IDS) if (history[id].length > 0) lanes[id] = history[id];
    (this.finished[current.lesson] ??= {})[current.run] = lanes;
  }

  /**
   * Trains the open lesson's other runs headless (full speed, in the worker) and puts them on the charts as
   * ghosts named by their presets, so the comparison the lesson makes is in one chart. Runs already on the
   * playground or already a ghost are not run again. Their records count for the claims, like runs played here.
   */
  async showAllRuns(): Promise<string[]> {
    const lesson = this.lesson;
    if (!lesson || this.comparing) return [];
    const have = (runId: string) => (this.loaded?.lesson === lesson.id && this.loaded.run === runId) || this.ghostOf(lesson.id, runId) !== undefined;
    const backend = this.pg.definition?.config.backend;
    const entries = lesson.runs
      .filter((r) => !have(r.id))
      .map((r) => {
        const config = { ...(backend ? { backend } : {}), ...r.config, ...(this.fixedSeed === null ? {} : { seed: this.fixedSeed }) };
        return { label: r.label, definition: { config, lanes: laneSwitches(r) } as unknown as RunDefinition, origin: { lesson: lesson.id, run: r.id } };
      });
    this.comparing = true;
    try {
      const problems = await this.pg.rebuildGhosts(entries);
      for (const r of lesson.runs) {
        const ghost = this.ghostOf(lesson.id, r.id);
        if (!ghost || (this.loaded?.lesson === lesson.id && this.loaded.run === r.id)) continue;
        (this.requiredSteps[lesson.id] ??= {})[r.id] = ghost.definition.config.steps;
        (this.finished[lesson.id] ??= {})[r.id] = ghost.records;
      }
      this.revision++;
      this.problems = problems;
      return problems;
    } finally {
      this.comparing = false;
    }
  }

  private ghostOf(lessonId: string, runId: string) {
    return this.pg.ghosts?.find((g) => g.origin?.lesson === lessonId && g.origin.run === runId);
  }

  /**
   * One lane of one of the open lesson's runs, for its inline figures: live while it is on the playground,
   * else its ghost (while the student keeps it), else the records kept when it was replaced; null if never run.
   */
  laneRecords(runId: string, lane: LaneId): readonly LaneRecord[] | null {
    const lesson = this.lesson;
    if (!lesson) return null;
    if (this.loaded?.lesson === lesson.id && this.loaded.run === runId) return this.pg.history.of(lane);
    const ghost = this.ghostOf(lesson.id, runId);
    if (ghost?.records[lane]) return ghost.records[lane];
    return (this.finished[lesson.id]?.[runId]?.[lane] as readonly LaneRecord[] | undefined) ?? null;
  }

  /** Whether `runId` is the run on the playground now (its figure lines grow as it trains). */
  isLive(runId: string): boolean {
    return this.loaded?.lesson === this.lesson?.id && this.loaded?.run === runId;
  }

  /** Records of the open lesson's runs: those finished earlier and the one on the playground now. */
  records(): RunRecords {
    const lesson = this.lesson;
    if (!lesson) return {};
    const out: RunRecords = { ...this.finished[lesson.id] };
    if (this.loaded?.lesson === lesson.id) {
      const history = this.pg.history.toJSON();
      out[this.loaded.run] = { rft: history.rft, dpo: history.dpo, sft: history.sft };
    }
    return out;
  }

  /**
   * Which of `runIds` (default: every run of the open lesson) have not yet reached their steps on the page,
   * with how far they are, in words; empty when all have. Results are shown only after that.
   */
  unfinished(runIds?: readonly string[]): string[] {
    void this.revision;
    const lesson = this.lesson;
    if (!lesson) return [];
    const records = this.records();
    const needed = this.requiredSteps[lesson.id] ?? {};
    const out: string[] = [];
    for (const id of runIds ?? lesson.runs.map((r) => r.id)) {
      const run = lesson.runs.find((r) => r.id === id);
      if (!run) continue;
      const steps = needed[id];
      const lanes = records[id] ?? {};
      // Steps trained (a step-0 record holds only the starting policy's held-out evaluation).
      const done = Math.min(...run.lanes.map((l) => lanes[l]?.filter((r) => r.step > 0).length ?? 0));
      if (steps === undefined) out.push(`“${run.label}”: not run yet`);
      else if (done < steps) out.push(`“${run.label}”: step ${done} of ${steps}`);
    }
    return out;
  }

  /** Claim checks on the records so far; read `pg.version` first so a Svelte effect re-runs as steps arrive. */
  verdicts(): LiveVerdict[] {
    void this.revision;
    const lesson = this.lesson;
    if (!lesson) return [];
    return liveVerdicts(lesson, this.records(), this.requiredSteps[lesson.id] ?? {});
  }
}
