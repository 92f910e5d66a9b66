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
import { LANE_IDS } from '../../worker/protocol.ts';
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
      await this.pg.borrow('the lesson', { config, lanes: laneSwitches(run) });
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
      const done = Math.min(...run.lanes.map((l) => lanes[l]?.length ?? 0));
      if (steps === undefined) out.push(`“${run.label}”: not run yet`);
      else if (done < steps) out.push(`“${run.label}”: step ${done} of ${steps}`);
    }
    return out;
  }

  /** Claim checks on the records so far; read `pg.version` first so a Svelte effect re-runs as steps arrive. */
  verdicts(): LiveVerdict[] {
    const lesson = this.lesson;
    if (!lesson) return [];
    return liveVerdicts(lesson, this.records(), this.requiredSteps[lesson.id] ?? {});
  }
}
