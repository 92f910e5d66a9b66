/**
 * Chart smoothing (TensorBoard's debiased EMA) against a direct computation of its closed form, the
 * incremental series against the one-shot one, and the marks of knob changes on the time axis.
 */
import { describe, expect, it } from 'vitest';
import { emaSmooth, MetricHistory, type Point } from '../../src/ui/metric-history.ts';
import { eventValue, Playground } from '../../src/ui/playground.svelte.ts';
import type { LaneRecord } from '../../src/worker/protocol.ts';

/** s_t = Σ_{i≤t} w^{t−i}(1−w) y_i / (1 − w^{t+1}): a weighted mean of all points so far, written out. */
function direct(ys: readonly number[], w: number): number[] {
  return ys.map((_, t) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i <= t; i++) {
      num += w ** (t - i) * ys[i];
      den += w ** (t - i);
    }
    return num / den;
  });
}

const record = (step: number, reward: number): LaneRecord => ({ step, reward, loss: 0, samples_drawn: step * 10, labelled_examples: step * 2 }) as unknown as LaneRecord;

describe('EMA smoothing', () => {
  const ys = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.4, 0.6, 0.5, 0.55, -3, 12];
  const points: Point[] = ys.map((y, x) => ({ x, y }));

  it('equals the weighted mean written out, for weights 0 to 0.99', () => {
    for (const w of [0, 0.3, 0.6, 0.9, 0.99]) {
      const got = emaSmooth(points, w);
      const want = direct(ys, w);
      got.forEach((p, i) => {
        expect(p.x).toBe(i);
        expect(p.y).toBeCloseTo(want[i], 12);
      });
    }
  });

  it('0 leaves the values alone; the first point is never pulled towards 0 (debiased)', () => {
    expect(emaSmooth(points, 0).map((p) => p.y)).toEqual(ys);
    expect(emaSmooth(points, 0.99)[0].y).toBeCloseTo(ys[0], 12);
    // A constant series stays constant at any weight.
    expect(emaSmooth([1, 2, 3].map((x) => ({ x, y: 0.42 })), 0.95).every((p) => Math.abs(p.y - 0.42) < 1e-12)).toBe(true);
  });

  it('the history extends the smoothed series as batches arrive, equal to smoothing the whole at once', () => {
    const h = new MetricHistory();
    h.append({ rft: ys.slice(0, 5).map((y, i) => record(i + 1, y)) });
    const first = h.smoothed('rft', 'reward', 'steps', 0.8).slice();
    h.append({ rft: ys.slice(5).map((y, i) => record(i + 6, y)) });
    const all = h.smoothed('rft', 'reward', 'steps', 0.8);
    expect(all.slice(0, 5)).toEqual(first);
    const want = direct(ys, 0.8);
    all.forEach((p, i) => {
      expect(p.x).toBe(i + 1);
      expect(p.y).toBeCloseTo(want[i], 12);
    });
    // A new weight starts over from the raw points.
    const other = h.smoothed('rft', 'reward', 'steps', 0.5).map((p) => p.y);
    direct(ys, 0.5).forEach((y, i) => expect(other[i]).toBeCloseTo(y, 12));
    // Raw points are untouched.
    expect(h.points('rft', 'reward', 'steps').map((p) => p.y)).toEqual(ys);
  });

  it('places a step on each budget axis (for the marks)', () => {
    const h = new MetricHistory();
    h.append({ dpo: [record(1, 0), record(2, 0), record(3, 0)] });
    expect(h.xAt('dpo', 2, 'steps')).toBe(2);
    expect(h.xAt('dpo', 2, 'samples')).toBe(20);
    expect(h.xAt('dpo', 3, 'labelled')).toBe(6);
    expect(h.xAt('dpo', 9, 'samples')).toBeUndefined();
    expect(h.xAt('rft', 2, 'samples')).toBeUndefined();
  });
});

describe('marks on the time axis', () => {
  const make = () => {
    const pg = new Playground({} as never);
    pg.progress = { step: 0, steps: 300, stepsPerSecond: 0, samplesPerSecond: 0, playing: false };
    return pg;
  };

  it('mark nothing before the first step, then one per change; a slider drag makes one mark with its last value', () => {
    const pg = make();
    pg.markEvent('knob', 'optimizer.learning_rate', 'Learning rate → 0.2');
    expect(pg.events).toEqual([]);
    pg.progress = { ...pg.progress, step: 40 };
    pg.markEvent('knob', 'optimizer.learning_rate', 'Learning rate → 0.2');
    pg.markEvent('knob', 'optimizer.learning_rate', 'Learning rate → 0.3');
    pg.markEvent('knob', 'temperature', 'Temperature → 0.5');
    pg.markEvent('lesson', 'lesson.rft.step', 'Lesson 1, part 2');
    expect(pg.events.map((e) => [e.step, e.kind, e.label])).toEqual([
      [40, 'knob', 'Learning rate → 0.3'],
      [40, 'knob', 'Temperature → 0.5'],
      [40, 'lesson', 'Lesson 1, part 2'],
    ]);
  });

  it('write values as a student reads them', () => {
    expect(eventValue(0.30000000000000004)).toBe('0.3');
    expect(eventValue(true)).toBe('on');
    expect(eventValue(null)).toBe('default');
    expect(eventValue({ type: 'string_check', name: 'exact' })).toBe('exact');
    expect(eventValue('rloo')).toBe('rloo');
  });
});

describe('presets borrow the playground', () => {
  it('keep the user’s backend unless the preset names one (it is the machine’s choice, not the experiment’s)', async () => {
    const asked: { config: Record<string, unknown> }[] = [];
    const client = {
      reset: async (def: { config: Record<string, unknown>; lanes: Record<string, boolean> }) => {
        asked.push(def);
        return { ok: false, errors: ['not built in this test'] };
      },
      progress: async () => ({ step: 0, steps: 300, stepsPerSecond: 0, samplesPerSecond: 0, playing: false }),
    };
    const pg = new Playground(client as never);
    pg.definition = { config: { backend: 'webgpu', task: 'reverse' } as never, lanes: { rft: true, dpo: true, sft: true } };
    await pg.borrow('the lesson', { config: { task: 'add' }, lanes: { rft: true, dpo: false, sft: false } });
    await pg.borrow('the lesson', { config: { task: 'add', backend: 'cpu' }, lanes: { rft: true, dpo: false, sft: false } });
    expect(asked.map((d) => d.config.backend)).toEqual(['webgpu', 'cpu']);
  });
});
