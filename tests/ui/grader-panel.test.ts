/**
 * The grader panel's logic without a DOM: custom code survives switching
 * templates, "Task default" names the task's own grader, and the test bench
 * speaks about its one answer, not a batch.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGrader, type Grader } from '../../src/graders/index.ts';
import { TASK_SOURCES } from '../../src/tasks/index.ts';
import { benchMessage, DEFAULT_JS_SOURCE, subScoreText, templateStart } from '../../src/ui/grader-forms.ts';

// Sandboxes whose progress reports are throttled, as in a browser without shared memory: the pool
// never learns exactly which sample hung.
vi.mock('../../src/graders/sandbox/node-host.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/graders/sandbox/node-host.ts')>();
  return {
    ...real,
    nodePlatform: {
      ...real.nodePlatform,
      spawn: (options: Parameters<typeof real.nodePlatform.spawn>[0]) => ({ ...real.nodePlatform.spawn(options), progress: () => ({ index: -1, exact: false }) }),
    },
  };
});

describe('custom grader source across template switches', () => {
  const custom = { type: 'js', name: 'custom', source: 'function grade() { return 0.5; }' };
  it('Custom JavaScript starts from the last custom grader, other templates from their own spec', () => {
    expect(templateStart('js', custom)).toEqual(custom);
    expect(templateStart('js', custom)).not.toBe(custom);
    expect(templateStart('js', null)).toEqual({ type: 'js', name: 'custom', source: DEFAULT_JS_SOURCE });
    expect(templateStart('regex', custom)).toMatchObject({ type: 'regex' });
    // "" is the task's own grader.
    expect(templateStart('', custom)).toBeNull();
  });
});

describe('test bench text', () => {
  it('separates every sub-score by " · "', () => {
    expect(subScoreText({ exact: 0, similar: 2 / 3 })).toBe(' · exact 0.000 · similar 0.667');
    expect(subScoreText({})).toBe('');
  });
  it('says "this answer" where a grader names sample 0 of a batch', () => {
    expect(benchMessage('grader threw on sample 0 at line 3, column 11: Error: nope')).toBe('grader threw on this answer at line 3, column 11: Error: nope');
    expect(benchMessage('grader returned NaN; grade() must return a finite number on sample 0')).toBe('grader returned NaN; grade() must return a finite number on this answer');
    expect(benchMessage('calculate_output gave -Infinity on sample 0 (exact = 0, fuzzy = 0.5)')).toBe('calculate_output gave -Infinity on this answer (exact = 0, fuzzy = 0.5)');
    expect(benchMessage('grader ran out of memory (limit 64 MB) on sample 0 (output_text "o\\"k"); its worker was stopped and a new one will start on the next batch')).toBe(
      'grader ran out of memory (limit 64 MB) on this answer',
    );
  });

  const live: Grader[] = [];
  afterEach(() => {
    for (const g of live.splice(0)) g.dispose?.();
  });
  it('a grader that hangs on the one answer times out "on this answer", even when the sandbox cannot say which sample hung', async () => {
    const g = createGrader({ type: 'js', source: 'function grade() { while (true) {} }', timeout_ms: 200 });
    live.push(g);
    const one = await g.grade([{ output_text: 'abc' }], [{ prompt: 'cba', reference: 'abc' }]);
    expect(one.firstError).toBe('grader timed out on sample 0 (output_text "abc"): time limit 200 ms per batch; its worker was stopped and a new one will start on the next batch');
    expect(benchMessage(one.firstError!)).toBe('grader timed out on this answer: time limit 200 ms per batch');
    // With more samples the VM still knows which one it was on.
    const three = await g.grade(
      ['a', 'b', 'c'].map((output_text) => ({ output_text })),
      ['a', 'b', 'c'].map((prompt) => ({ prompt, reference: prompt })),
    );
    expect(three.firstError).toMatch(/^grader timed out on sample 0 \(output_text "a"\): time limit 200 ms per batch/);
  });
});
