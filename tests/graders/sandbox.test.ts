/**
 * Custom JS graders in their Node sandbox (worker_threads + vm context): each
 * way user code can go wrong yields its own clear message, and this test
 * process keeps running after every one of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { checkSource, createGrader, GraderConfigError, validateGrader, type Grader, type GradeResult } from '../../src/graders/index.ts';
import type { TaskItem } from '../../src/engine/task.ts';
import { SandboxedGrader } from '../../src/graders/sandboxed-grader.ts';

const live: Grader[] = [];
afterEach(() => {
  for (const g of live.splice(0)) g.dispose?.();
});

function js(source: string, extra: Record<string, unknown> = {}): Grader {
  const g = createGrader({ type: 'js', source, ...extra });
  live.push(g);
  return g;
}

const ITEM: TaskItem = { prompt: '3+4=', reference: '7', a: 3, b: 4 };

function run(g: Grader, outputs: string[], item: TaskItem = ITEM): Promise<GradeResult> {
  return g.grade(
    outputs.map((output_text) => ({ output_text })),
    outputs.map(() => item),
  );
}

describe('custom JS grader: working code', () => {
  it('scores with item fields, like OpenAI python graders', async () => {
    const g = js('function grade(sample, item) {\n  return Number(sample.output_text) === item.a + item.b ? 1 : 0;\n}');
    const r = await run(g, ['7', '8', '', '😀']);
    expect(Array.from(r.scores)).toEqual([1, 0, 0, 0]);
    expect(r.errors).toBe(0);
    expect(r.firstError).toBeNull();
  });
  it('accepts const/arrow graders and partial credit', async () => {
    const g = js('const grade = (s, item) => 1 / (1 + Math.abs(Number(s.output_text) - Number(item.reference)));');
    const r = await run(g, ['7', '9', '5']);
    expect(Array.from(r.scores)).toEqual([1, 1 / 3, 1 / 3]);
  });
  it('grades very long outputs', async () => {
    const g = js('function grade(s) { return s.output_text.length; }');
    expect(Array.from((await run(g, ['x'.repeat(1_000_000)])).scores)).toEqual([1_000_000]);
  });
  it('splits a large batch over a pool of workers and keeps the order', async () => {
    const g = js('function grade(s) { if (s.output_text === "boom") throw new Error("boom"); return Number(s.output_text) * 2; }') as SandboxedGrader;
    const N = 6000;
    const outputs = Array.from({ length: N }, (_, i) => String(i));
    outputs[4321] = 'boom';
    const r = await run(g, outputs);
    const expected = outputs.map((o, i) => (i === 4321 ? 0 : 2 * i));
    expect(Array.from(r.scores)).toEqual(expected);
    expect(r.errors).toBe(1);
    // The index is the sample's place in the whole batch, not in its worker's chunk.
    expect(r.firstError).toBe('grader threw on sample 4321 at line 1, column 66: Error: boom');
    expect(g.workerCount).toBe(Math.min(availableParallelism(), Math.ceil(N / 1024)));
  });
  it('serves concurrent batches in turn, each with its own results', async () => {
    const g = js('function grade(s) { return s.output_text.length; }');
    const [a, b] = await Promise.all([run(g, ['a', 'bb']), run(g, ['ccc'])]);
    expect(Array.from(a.scores)).toEqual([1, 2]);
    expect(Array.from(b.scores)).toEqual([3]);
  });
  it('items are frozen: one sample cannot change what the next sees', async () => {
    const g = js('function grade(s, item) {\n  const seen = item.reference;\n  item.reference = "hacked";\n  return seen === "7" ? 1 : 0;\n}');
    expect(Array.from((await run(g, ['a', 'b', 'c'])).scores)).toEqual([1, 1, 1]);
  });
});

describe('custom JS grader: failures', () => {
  it('an infinite loop times out naming the sample; the worker is replaced and the next batch works', async () => {
    const g = js('function grade(s) {\n  if (s.output_text === "loop") { while (true) {} }\n  return 1;\n}', { timeout_ms: 300 });
    const t0 = performance.now();
    const r = await run(g, ['ok', 'ok', 'loop', 'ok']);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.errors).toBe(4); // the batch failed as a whole: the lane pauses on it
    expect(Array.from(r.scores)).toEqual([0, 0, 0, 0]);
    expect(r.firstError).toBe(
      'grader timed out on sample 2 (output_text "loop"): time limit 300 ms per batch; its worker was stopped and a new one will start on the next batch',
    );
    expect(Array.from((await run(g, ['ok', 'fine'])).scores)).toEqual([1, 1]);
  });
  it('a throw is reported with the grader\'s own line and column; other samples still score', async () => {
    const g = js('function grade(s, item) {\n  if (s.output_text === "") {\n    throw new Error("empty answer");\n  }\n  return item.missing.field;\n}');
    const r = await run(g, ['', 'x']);
    expect(r.errors).toBe(2);
    expect(r.firstError).toBe('grader threw on sample 0 at line 3, column 20: Error: empty answer');
    const r2 = await run(g, ['x']);
    expect(r2.firstError).toBe("grader threw on sample 0 at line 5, column 22: TypeError: cannot read property 'field' of undefined");
    const thrower = js('function grade() { throw "plain string"; }');
    expect((await run(thrower, ['x'])).firstError).toBe('grader threw on sample 0: threw "plain string"');
  });
  it('non-numbers and non-finite numbers are counted errors scoring 0, first message kept', async () => {
    const g = js(
      'function grade(s) {\n  switch (s.output_text) {\n    case "nan": return NaN;\n    case "inf": return Infinity;\n    case "str": return "0.5";\n' +
        '    case "undef": return;\n    case "bool": return true;\n    case "obj": return { score: 1 };\n    default: return 0.25;\n  }\n}',
    );
    const r = await run(g, ['ok', 'nan', 'inf', 'str', 'undef', 'bool', 'obj', 'ok']);
    expect(Array.from(r.scores)).toEqual([0.25, 0, 0, 0, 0, 0, 0, 0.25]);
    expect(r.errors).toBe(6);
    expect(Array.from(r.failed!)).toEqual([0, 1, 1, 1, 1, 1, 1, 0]);
    expect(r.firstError).toBe('grader returned NaN; grade() must return a finite number on sample 1');
    const messages = await Promise.all(
      ['inf', 'str', 'undef', 'bool', 'obj'].map(async (o) => (await run(g, [o])).firstError),
    );
    expect(messages).toEqual([
      'grader returned Infinity; grade() must return a finite number on sample 0',
      'grader returned a string ("0.5"); grade() must return a number, e.g. Number(x) on sample 0',
      'grader returned undefined; grade() must return a number (is a "return" missing?) on sample 0',
      'grader returned true; grade() must return a number, e.g. ok ? 1 : 0 on sample 0',
      'grader returned an object; grade() must return a number on sample 0',
    ]);
  });
  it('syntax errors are found before training, with line and column', async () => {
    const source = 'function grade(sample, item) {\n  return sample.output_text ===;\n}';
    expect(checkSource(source)).toEqual([{ message: "SyntaxError: Unexpected token ';'", line: 2, column: 32, from: 62, to: 63 }]);
    expect(() => createGrader({ type: 'js', source })).toThrow('grader.source: line 2, column 32: SyntaxError: Unexpected token \';\'');
    try {
      createGrader({ type: 'js', source });
    } catch (e) {
      expect(e).toBeInstanceOf(GraderConfigError);
      expect((e as GraderConfigError).path).toBe('grader.source');
    }
    expect(await validateGrader({ type: 'js', source })).toEqual({ ok: false, message: 'grader.source: line 2, column 32: SyntaxError: Unexpected token \';\'', path: 'grader.source' });
    expect(() => createGrader({ type: 'js', source: 'function score(s) { return 1; }' })).toThrow('the grader must define a function named grade');
    expect(() => createGrader({ type: 'js' })).toThrow('grader.source = undefined: must be the grader\'s JavaScript source');
  });
  it('validateGrader runs top-level code in the sandbox and reports where it failed', async () => {
    expect(await validateGrader({ type: 'js', source: 'const table = lookup();\nfunction grade() { return 1; }' })).toEqual({
      ok: false,
      message: "grader.source: grader failed while loading (top-level code) at line 1, column 15: ReferenceError: 'lookup' is not defined",
      path: 'grader.source',
    });
    expect(await validateGrader({ type: 'js', source: 'while (true) {}\nfunction grade() { return 1; }', timeout_ms: 200 })).toMatchObject({
      ok: false,
      message: 'grader.source: grader timed out while loading (its top-level code ran longer than 200 ms)',
    });
    expect(await validateGrader({ type: 'js', source: 'function grade() { return 1; }', name: 'always one' })).toEqual({ ok: true, name: 'always one' });
    // Nested in a multi grader, the path leads to the sub-grader.
    const nested = await validateGrader({ type: 'multi', graders: { mine: { type: 'js', source: 'throw new Error("no");\nfunction grade() {}' } }, calculate_output: 'mine' });
    expect(nested).toMatchObject({ ok: false, path: 'grader.graders.mine.source' });
  });
  it('a load failure fails every sample with its message, so the run pauses', async () => {
    const g = js('const x = undefinedThing.y;\nfunction grade() { return 1; }');
    const r = await run(g, ['a', 'b']);
    expect(r.errors).toBe(2);
    expect(r.firstError).toBe("grader failed while loading (top-level code) at line 1, column 11: ReferenceError: 'undefinedThing' is not defined");
  });
  it('no network: fetch, XMLHttpRequest, WebSocket, importScripts, import() and Node APIs all fail clearly', async () => {
    const cases: [string, string][] = [
      ['return fetch("https://example.com/answers");', 'Error: network access is blocked in graders: fetch() (https://example.com/answers) is not allowed'],
      ['return new XMLHttpRequest();', 'Error: network access is blocked in graders: new XMLHttpRequest() is not allowed'],
      ['return new WebSocket("wss://example.com");', 'Error: network access is blocked in graders: new WebSocket() (wss://example.com) is not allowed'],
      ['return importScripts("https://example.com/x.js");', 'Error: network access is blocked in graders: importScripts() (https://example.com/x.js) is not allowed'],
    ];
    for (const [body, message] of cases) {
      const g = js(`function grade(s) {\n  ${body}\n}`);
      const r = await run(g, ['x']);
      // Line 2 is the grader's own line; the column is where QuickJS places the call.
      expect(r.firstError).toMatch(/^grader threw on sample 0 at line 2, column \d+: /);
      expect(r.firstError!.replace(/^.*?column \d+: /, '')).toBe(message);
    }
    for (const [body, message] of [
      ['return require("node:http");', 'Error: host access is blocked in graders: require() (node:http) is not allowed'],
      ['return process.exit(1);', "ReferenceError: 'process' is not defined"] as [string, string],
    ]) {
      const r = await run(js(`function grade(s) {\n  ${body}\n}`), ['x']);
      expect(r.firstError).toMatch(/^grader threw on sample 0 at line 2, column \d+: /);
      expect(r.firstError!.replace(/^.*?column \d+: /, '')).toBe(message);
    }
    // import() cannot load anything: the promise it returns is not a score, and it rejects instead of giving a module.
    const dyn = js('function grade(s) {\n  return import("node:fs");\n}');
    expect((await run(dyn, ['x'])).firstError).toBe(
      'grader returned a Promise; grade() must return a number synchronously (async functions and await are not supported) on sample 0',
    );
    const probe = js('let fs;\nimport("node:fs").then((m) => (fs = m), (e) => (fs = String(e.message)));\nfunction grade() { return typeof fs === "string" ? 1 : 0; }');
    expect(Array.from((await run(probe, ['x'])).scores)).toEqual([1]);
  });
  it('cannot reach the worker\'s realm through prototypes', async () => {
    const g = js(
      'function grade(sample, item) {\n' +
        '  const viaSample = sample.constructor.constructor("return typeof process")();\n' +
        '  const viaGlobal = this.constructor.constructor("return typeof process")();\n' +
        '  const viaItem = item.constructor.constructor("return typeof globalThis.Buffer")();\n' +
        '  return viaSample === "undefined" && viaGlobal === "undefined" && viaItem === "undefined" ? 1 : 0;\n}',
    );
    const r = await run(g, ['x']);
    expect(r.firstError).toBeNull();
    expect(Array.from(r.scores)).toEqual([1]);
  });
  it('unbounded allocation kills only the worker, and that is reported', async () => {
    const g = js('function grade(sample) {\n  const hoard = [];\n  while (true) hoard.push(new Array(100000).fill(sample.output_text.length));\n}', {
      memory_mb: 64,
      timeout_ms: 60_000,
    });
    const r = await run(g, ['ok', 'x']);
    expect(r.errors).toBe(2);
    expect(r.firstError).toBe('grader ran out of memory (limit 64 MB) on sample 0 (output_text "ok"); its worker was stopped and a new one will start on the next batch');
    const fine = js('function grade() { return 1; }');
    expect(Array.from((await run(fine, ['a'])).scores)).toEqual([1]);
  });
  it('rejects bad sandbox options with their path', () => {
    expect(() => createGrader({ type: 'js', source: 'function grade() { return 1; }', timeout_ms: -5 })).toThrow('grader.timeout_ms = -5: must be at least 10');
    expect(() => createGrader({ type: 'js', source: 'function grade() { return 1; }', workers: 1.5 })).toThrow('grader.workers = 1.5: must be a whole number');
    expect(() => createGrader({ type: 'js', code: 'x' })).toThrow('grader.code: unknown field for a js grader');
  });
});
