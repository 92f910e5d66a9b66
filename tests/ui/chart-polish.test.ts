/** Tick labels per axis and the heatmap's per-cell text colour (the logic behind the charts' readability). */
import { describe, expect, it } from 'vitest';
import { contrastRatio, heatColors, luminance } from '../../src/ui/chart-specs.ts';

const { axisFormat, formatTick } = await import('../../src/ui/chart-setup.ts');

const labels = (values: number[]) => values.map(axisFormat(values));
const ticks = (values: number[]) => values.map((value) => ({ value }));

describe('axis tick labels', () => {
  it('take their precision from the step, so neighbouring labels differ', () => {
    // The entropy chart's ticks near ln 4 used to read "1.39, 1.39, 1.38, 1.38".
    expect(labels([1.38, 1.3825, 1.385, 1.3875, 1.39])).toEqual(['1.3800', '1.3825', '1.3850', '1.3875', '1.3900']);
    expect(labels([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(labels([0, 50, 100, 150])).toEqual(['0', '50', '100', '150']);
    expect(labels([-2.5, 0, 2.5])).toEqual(['-2.5', '0', '2.5']);
  });
  it('use one format per axis: no "2.0e+4" next to "3000"', () => {
    expect(labels([0, 10000, 20000, 30000])).toEqual(['0', '10000', '20000', '30000']);
    expect(labels([3000, 6000, 9000, 12000])).toEqual(['3000', '6000', '9000', '12000']);
    expect(labels([0, 2e6, 4e6, 6e6])).toEqual(['0', '2e+6', '4e+6', '6e+6']);
    expect(labels([0, 0.0002, 0.0004, 0.0006])).toEqual(['0', '2e-4', '4e-4', '6e-4']);
    expect(labels([0.00025, 0.0005, 0.00075])).toEqual(['2.5e-4', '5.0e-4', '7.5e-4']);
  });
  it('every label on an axis is distinct and none is "-0"', () => {
    for (const values of [
      [1.386, 1.3862, 1.3864],
      [-1e-12, 0.001, 0.002],
      [1, 1.0000001, 1.0000002],
      [99990, 99995, 100000],
    ]) {
      const out = labels(values);
      expect(new Set(out).size, out.join(' ')).toBe(values.length);
      expect(out.some((l) => l.startsWith('-0'))).toBe(false);
    }
  });
  it('chart.js callback: the axis comes from the ticks it passes', () => {
    const axis = ticks([1.38, 1.385, 1.39]);
    expect(axis.map((t, i) => formatTick(t.value, i, axis))).toEqual(['1.380', '1.385', '1.390']);
    // Alone (no ticks), three significant digits as before.
    expect(formatTick(1.386294361119892)).toBe('1.39');
    expect(formatTick('n/a')).toBe('n/a');
  });
});

describe('heatmap cell colours', () => {
  const parse = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  it('pass WCAG AA (4.5:1) for every probability, light and dark', () => {
    for (const theme of ['light', 'dark'] as const) {
      for (let k = 0; k <= 1000; k++) {
        const { background, text } = heatColors(k / 1000, theme);
        const ratio = contrastRatio(luminance(parse(background)), luminance(parse(text)));
        expect(ratio, `${theme} p=${k / 1000}: ${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });
  it('run from the panel colour to the Okabe–Ito blue, with dark text on the pale cells', () => {
    expect(heatColors(0, 'light')).toEqual({ background: '#ffffff', text: '#000000' });
    expect(heatColors(1, 'light')).toEqual({ background: '#0072b2', text: '#ffffff' });
    expect(heatColors(0, 'dark').background).toBe('#1d232c');
    // The audit's failing cell: white on #6badd2 (2.46:1) now gets black text.
    expect(heatColors(0.58, 'light')).toEqual({ background: '#6badd2', text: '#000000' });
    expect(heatColors(Number.NaN, 'light').background).toBe('#ffffff');
  });
});
