/** The lessons panel's state with a stand-in playground: preset loading, fixed seeds, records kept across runs, progress. */
import { describe, expect, it } from 'vitest';
import { lessonById } from '../../../src/lessons/index.ts';
import { createProgressStore, type StorageLike } from '../../../src/lessons/progress.ts';
import { LessonSession } from '../../../src/ui/lessons/lesson-session.svelte.ts';
import { MetricHistory } from '../../../src/ui/metric-history.ts';
import type { Playground } from '../../../src/ui/playground.svelte.ts';
import type { LaneRecord } from '../../../src/worker/protocol.ts';

/** Just what the session uses of the page: load a run (the worker fills defaults), its metric history, its banner. */
function fakePlayground(fail = false) {
  const loads: { config: Record<string, unknown>; lanes: Record<string, boolean> }[] = [];
  const pg = {
    history: new MetricHistory(),
    run: null as null | { definition: { config: { steps: number } } },
    banner: null as null | { kind: string; text: string },
    marked: [] as string[],
    /** The page keeps the student's own run aside; here only the load matters. */
    borrow(_by: string, def: { config: object; lanes: Record<string, boolean> }) {
      return pg.loadRun(def);
    },
    markEvent(_kind: string, _key: string, label: string) {
      pg.marked.push(label);
    },
    async loadRun(def: { config: object; lanes: Record<string, boolean> }) {
      loads.push(def as (typeof loads)[number]);
      if (fail) {
        pg.banner = { kind: 'error', text: 'Could not load the run' };
        return;
      }
      pg.history.clear();
      pg.run = { definition: { config: { steps: 300, ...(def.config as { steps?: number }) } } };
    },
  };
  return { pg, loads, asPlayground: pg as unknown as Playground };
}

function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const steps = (n: number, metrics: Record<string, number>): LaneRecord[] =>
  Array.from({ length: n }, (_, i) => ({ step: i + 1, samples_drawn: 0, labelled_examples: 0, ...metrics }));

describe('LessonSession', () => {
  it('marks moving on in the lesson and recording a prediction on the charts', () => {
    const { pg, asPlayground } = fakePlayground();
    const session = new LessonSession(asPlayground, createProgressStore(memoryStorage()));
    const lesson = lessonById('dpo')!;
    session.open('dpo');
    session.goToStep(1);
    session.goToStep(1);
    session.predict(0, 1);
    expect(pg.marked).toEqual([`Lesson ${lesson.number}, part 2`, `Lesson ${lesson.number}: prediction`]);
  });

  it('loads a preset with its lane switches, or with the seed a teacher fixed', async () => {
    const { loads, asPlayground } = fakePlayground();
    const session = new LessonSession(asPlayground, createProgressStore(memoryStorage()));
    const lesson = lessonById('dpo')!;
    session.open('dpo');
    await session.loadRun(lesson, lesson.runs[1]);
    expect(loads[0]).toEqual({ config: lesson.runs[1].config, lanes: { rft: false, dpo: true, sft: false } });
    expect(session.loaded).toEqual({ lesson: 'dpo', run: lesson.runs[1].id });

    session.open('dpo', { lesson: 'dpo', run: null, seed: 7, reveal: true, loadPreset: true });
    await session.loadRun(lesson, lesson.runs[0]);
    expect(loads[1].config).toEqual({ ...lesson.runs[0].config, seed: 7 });
    expect(session.coverResults && !session.revealed).toBe(true);
  });

  it('keeps the records of a replaced run, so a claim comparing two runs can be checked', async () => {
    const { pg, asPlayground } = fakePlayground();
    const session = new LessonSession(asPlayground, createProgressStore(memoryStorage()));
    const lesson = lessonById('dpo')!;
    const claimIndex = lesson.claims.findIndex((c) => c.kind === 'greater' && c.of.metric === 'kl');
    const claim = lesson.claims[claimIndex] as Extract<(typeof lesson.claims)[number], { kind: 'greater' }>;
    const [first, second] = [claim.of, claim.than];
    const run = (id: string) => lesson.runs.find((r) => r.id === id)!;
    session.open('dpo');

    await session.loadRun(lesson, run(first.run));
    const needed = (run(first.run).config.steps as number | undefined) ?? 300;
    pg.history.append({ dpo: steps(needed, { kl: 2, reward: 0.9 }) });
    expect(session.verdicts()[claimIndex].status).toBe('waiting');

    await session.loadRun(lesson, run(second.run));
    const needed2 = (run(second.run).config.steps as number | undefined) ?? 300;
    pg.history.append({ dpo: steps(needed2 - 1, { kl: 0.1, reward: 0.5 }) });
    expect(session.verdicts()[claimIndex]).toMatchObject({ status: 'waiting', detail: expect.stringContaining(`${needed2 - 1} of ${needed2}`) });
    pg.history.append({ dpo: steps(1, { kl: 0.1, reward: 0.5 }) });
    // 2 > 0.1 + margin: shown; the first run's records came from the stash, the second's from the page.
    expect(session.verdicts()[claimIndex]).toMatchObject({ status: 'shown' });
    expect(Object.keys(session.records()).sort()).toEqual([first.run, second.run].sort());
  });

  it('does not claim a run is loaded when the page refused it', async () => {
    const { asPlayground } = fakePlayground(true);
    const session = new LessonSession(asPlayground, createProgressStore(memoryStorage()));
    const lesson = lessonById('beyond-sft')!;
    session.open(lesson.id);
    await session.loadRun(lesson, lesson.runs[0]);
    expect(session.loaded).toBeNull();
  });

  it('keeps steps, predictions and quiz answers on the device, and completes the lesson when every answer is right', () => {
    const storage = memoryStorage();
    const { asPlayground } = fakePlayground();
    const session = new LessonSession(asPlayground, createProgressStore(storage));
    const lesson = lessonById('how-rft-works')!;
    session.open(lesson.id);
    session.goToStep(99);
    expect(session.step).toBe(lesson.steps.length - 1);
    session.predict(0, 2);
    const wrong = lesson.quiz[0].choices.findIndex((c) => !c.correct);
    session.answer(lesson.quiz[0].id, wrong);
    expect(session.progress?.completed).toBe(false);
    for (const q of lesson.quiz) session.answer(q.id, q.choices.findIndex((c) => c.correct));
    expect(session.progress?.completed).toBe(true);
    expect(session.all[lesson.id].completed).toBe(true);

    // A new page on the same device: the lesson reopens at the step reached.
    const again = new LessonSession(asPlayground, createProgressStore(storage));
    again.open(lesson.id);
    expect(again.step).toBe(lesson.steps.length - 1);
    expect(again.progress).toMatchObject({ completed: true, predictions: { '0': 2 } });
    expect(again.open('no-such-lesson')).toBe(false);
    expect(again.problems).toEqual(['There is no lesson “no-such-lesson”.']);
  });
});
