import { describe, expect, it } from 'vitest';
import type { StepMetrics } from '../../src/engine/lane.ts';
import { AnnouncementPacer, chartSummary, formatValue } from '../../src/share/summary.ts';

const series = (values: number[], metric = 'reward'): StepMetrics[] => values.map((v, i) => ({ step: i + 1, kl: 0.5, [metric]: v }));

describe('chart summaries for screen readers', () => {
  it('the issue\'s example', () => {
    const text = chartSummary({ metric: 'reward' }, { rft: series([0.1, 0.5, 0.8234]), dpo: series([0.64]), sft: series([0.709]) });
    expect(text).toBe('RFT reward 0.82, up from 0.10; DPO 0.64; SFT 0.71.');
  });

  it('says down, and leaves out a change rounding hides', () => {
    const text = chartSummary({ metric: 'loss', label: 'loss' }, { rft: series([0.69, 0.4], 'loss'), dpo: series([0.693, 0.6931], 'loss') });
    expect(text).toBe('RFT loss 0.40, down from 0.69; DPO 0.69.');
  });

  it('mentions only the lanes given; a lane with no records yet says so', () => {
    expect(chartSummary({ metric: 'reward' }, { dpo: series([0.2, 0.3]) })).toBe('DPO reward 0.30, up from 0.20.');
    expect(chartSummary({ metric: 'reward' }, { rft: [], sft: series([0.5]) })).toBe('RFT reward: no data yet; SFT 0.50.');
    expect(chartSummary({ metric: 'reward' }, { rft: [], dpo: [] })).toBe('RFT reward: no data yet; DPO: no data yet.');
    expect(chartSummary({ metric: 'reward', label: 'reward' }, {})).toBe('Reward: no lanes are on.');
  });

  it('a metric one lane does not log (clip_ratio in DPO) counts as no data for that lane', () => {
    const rftRecords: StepMetrics[] = [
      { step: 1, clip_ratio: 0 },
      { step: 2, clip_ratio: 0.25 },
    ];
    expect(chartSummary({ metric: 'clip_ratio', label: 'clip ratio' }, { rft: rftRecords, dpo: series([0.1]) })).toBe(
      'RFT clip ratio 0.25, up from 0.00; DPO: no data yet.',
    );
  });

  it('a diverged value is said in words, with no trend', () => {
    expect(chartSummary({ metric: 'reward' }, { rft: series([0.1, NaN]) })).toBe('RFT reward not a number.');
  });

  it('optionally says the step', () => {
    expect(chartSummary({ metric: 'reward' }, { rft: series([0.1, 0.2, 0.3]), dpo: series([0.5, 0.5]) }, { withStep: true })).toBe(
      'RFT reward 0.30, up from 0.10; DPO 0.50 at step 3.',
    );
  });
});

describe('spoken numbers', () => {
  it.each([
    [0.8234, '0.82'],
    [0.1, '0.10'],
    [1, '1.00'],
    [-0.25, '-0.25'],
    [-0.001, '-0.001'],
    [-0.0001234, '-0.00012'],
    [0.0031, '0.0031'],
    [0, '0.00'],
    [-0.0, '0.00'],
    [-0.004999, '-0.005'],
    [-0.005, '-0.01'],
    [1234.5678, '1234.57'],
    [NaN, 'not a number'],
    [Infinity, 'infinity'],
    [-Infinity, 'minus infinity'],
  ])('%d → %s', (v, text) => {
    expect(formatValue(v)).toBe(text);
  });

  it('decimals are configurable', () => {
    expect(formatValue(0.8234, 1)).toBe('0.8');
    expect(formatValue(0.04, 1)).toBe('0.04');
  });
});

describe('pacing the live region', () => {
  it('announces a change at most once per interval, never a repeat, and the final word at once', () => {
    const pacer = new AnnouncementPacer(5000);
    expect(pacer.offer('a', 0)).toBe('a');
    expect(pacer.offer('b', 1000)).toBeNull();
    expect(pacer.offer('c', 4999)).toBeNull();
    expect(pacer.offer('d', 5000)).toBe('d');
    expect(pacer.offer('d', 20_000)).toBeNull();
    expect(pacer.offer('e', 20_100, true)).toBe('e');
    expect(pacer.offer('f', 20_200)).toBeNull();
    pacer.clear();
    expect(pacer.offer('e', 20_300)).toBe('e');
  });
});
