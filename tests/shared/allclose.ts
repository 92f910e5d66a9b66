/**
 * The one tolerance check of the test suites (as jax-js's toBeAllclose):
 * |actual − expected| ≤ atol + rtol · max(|actual|, |expected|), NaN equal to
 * NaN, for numbers and for arrays element by element. Arrays may instead be
 * judged on their own scale (`scale: 'array'`): small entries are then
 * allowed rtol × the largest magnitude, which is what float32 kernels give.
 */
import { expect } from 'vitest';

export interface Tolerance {
  rtol: number;
  atol?: number;
  /** 'element' (default): each entry against its own magnitude; 'array': against the array's largest. */
  scale?: 'element' | 'array';
}

function within(a: number, b: number, rtol: number, atol: number): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.max(Math.abs(a), Math.abs(b)) || (Number.isNaN(a) && Number.isNaN(b));
}

export function expectAllclose(actual: number | ArrayLike<number>, expected: number | ArrayLike<number>, tol: Tolerance, what: string): void {
  const atol = tol.atol ?? 0;
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = actual as number;
    const b = expected as number;
    if (!within(a, b, tol.rtol, atol)) expect.fail(`${what}: got ${a}, expected ${b} (rtol ${tol.rtol}, atol ${atol})`);
    return;
  }
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let largest = 0;
  if (tol.scale === 'array') for (let i = 0; i < expected.length; i++) largest = Math.max(largest, Math.abs(expected[i]));
  const allowed = tol.rtol * largest + atol + 1e-30;
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    const ok = tol.scale === 'array' ? err <= allowed : within(actual[i], expected[i], tol.rtol, atol);
    if (!ok && (err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    const bound = tol.scale === 'array' ? `allowed ${allowed} = ${tol.rtol} × max |x| ${largest}` : `rtol ${tol.rtol}, atol ${atol}`;
    expect.fail(`${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (|Δ| ${worstErr}, ${bound})`);
  }
}

/** A scalar check in the old helpers' argument order. */
export function expectClose(actual: number, expected: number, rtol: number, atol: number, what: string): void {
  expectAllclose(actual, expected, { rtol, atol }, what);
}

/** Element-wise agreement within rtol of the array's largest magnitude. */
export function expectArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  expectAllclose(actual, expected, { rtol, scale: 'array' }, what);
}
