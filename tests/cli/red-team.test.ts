/**
 * Red team for the headless trainer, run the way a user runs it: a child
 * process on a config file someone shared. Hostile graders must reach no file,
 * no program and no socket (a marker file must stay unread and uncreated, a
 * loopback listener must see no connection), must not crash, stall or mislabel
 * the run, and every failure reads as one line naming the grader.
 * Then the trainer's own robustness: output paths, a full disk, Ctrl-C, and a
 * default run on a machine without a GPU printing no native text.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeAttempts } from '../e2e/security/hostile-graders.ts';

const dir = mkdtempSync(join(tmpdir(), 'rft-red-team-'));
const marker = join(dir, 'secret.txt');
writeFileSync(marker, 'the student’s private notes');

function train(args: string[], timeout = 90_000) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** A run config with `grader`, small and on the CPU. */
const withGrader = (grader: unknown, extra: Record<string, unknown> = {}) => ({ task: 'reverse', objective: 'rft', steps: 3, backend: 'cpu', seed: 1, grader, ...extra });

/** stderr is one line per message, none of them a stack frame or native output. */
function expectPlainLines(stderr: string, maxLines = 1): void {
  const lines = stderr.trim().split('\n').filter(Boolean);
  expect(lines.length, stderr).toBeLessThanOrEqual(maxLines);
  expect(stderr).not.toMatch(/^\s+at |\.cpp|\.js:\d+:\d+\)|Warning:|node:internal/m);
  for (const line of lines) expect(line.length, line.slice(0, 200)).toBeLessThan(2000);
}

let listener: Server;
let connections = 0;
let target = '';

beforeAll(async () => {
  listener = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done));
  target = `http://127.0.0.1:${(listener.address() as { port: number }).port}/`;
});

afterAll(async () => {
  await new Promise<void>((done) => listener.close(() => done()));
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile graders in the trainer', () => {
  it('control: the same code outside the sandbox does read the marker, create a file and connect, so the check below can fail', async () => {
    // In a plain Node process of its own (it patches JSON and Array.prototype, which would break this test runner).
    const script = `${escapeAttempts(target, marker)}\nprocess.stdout.write(String(grade({ output_text: 'x' }, {})));\nsetTimeout(() => {}, 500);`;
    const control = spawnSync(process.execPath, ['--input-type=commonjs', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(control.stdout).toBe('1');
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(`${marker}.pwned`)).toBe(true);
    expect(connections).toBeGreaterThan(0);
    rmSync(`${marker}.pwned`);
    connections = 0;
  });

  it('every route out fails: no file read or created, no program run, no socket opened; the run trains on 0.5 and exits 0', async () => {
    const r = train(['--config', configFile('hostile.json', withGrader({ type: 'js', source: escapeAttempts(target, marker) }))]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const m of lines) {
      expect(m.reward).toBe(0.5);
      expect(m.grader_errors).toBe(0);
    }
    await new Promise((done) => setTimeout(done, 300));
    expect(connections).toBe(0);
    expect(existsSync(`${marker}.pwned`)).toBe(false);
    expect(r.stderr).toBe('');
  });

  it.each([
    ['a 100 MB error message', 'function grade() { throw new Error("A".repeat(100 * 1024 * 1024)); }', /grader failed on every sample.*Error: A{10,}\.\.\./, { memory_mb: 512, timeout_ms: 20_000 }, { batch_prompts: 1, num_generations: 2 }],
    ['an endless loop', 'function grade() { for (;;) {} }', /grader timed out on sample 0 .*time limit 500 ms per batch/],
    ['an endless loop in a finally', 'function grade() { try { for (;;) {} } finally { for (;;) {} } }', /grader timed out on sample 0/],
    ['unbounded memory', 'var hoard = []; function grade() { for (;;) hoard.push(new Array(1e5).fill(1)); }', /ran out of memory \(limit 64 MB\)/, { timeout_ms: 20_000 }],
    ['a score of 1e308', 'function grade() { return 1e308; }', /grader score 1e\+308 on sample 0 is not a finite number within ±1e\+6/],
    ['a string that looks like a score', 'function grade() { return "NaN"; }', /returned a string \("NaN"\)/],
    ['a forged result (patched toJSON, JSON.stringify, Array.prototype)', 'Object.prototype.toJSON = () => ({ scores: ["NaN"] }); JSON.stringify = () => "{\\"scores\\":[1e308]}"; Object.defineProperty(Array.prototype, "0", { set() {}, get() { return "x"; } });\nfunction grade() { return undefined; }', /returned undefined/],
    ['deep recursion', 'function grade(s) { function f(n) { return f(n + 1) + 1; } return f(0); }', /stack overflow|recursed too deeply/],
    ['a top-level throw', 'throw new Error("boom at load");\nfunction grade() { return 1; }', /grader\.source: grader failed while loading \(top-level code\) at line 1.*Error: boom at load/],
    ['a source the syntax pre-check could choke on (function + 90,000 spaces)', `function${' '.repeat(90_000)}g() {}\nfunction grade() { return 1; }`, /^$/],
    ['a source longer than any grader', `// ${'x'.repeat(100_000)}\nfunction grade() { return 1; }`, /grader\.source: the source has 100034 characters; a grader's source may have at most 100000/],
    ['brackets nested 45,000 deep', `function grade() { return ${'('.repeat(45_000)}1${')'.repeat(45_000)}; }`, /grader\.source: .*nests brackets or blocks too deeply|grader\.source: .*(stack overflow|recursed too deeply)/],
    ['its own throw dressed as the VM running out of memory', 'globalThis.InternalError = { [Symbol.hasInstance]: () => true };\nfunction grade() { throw { name: "InternalError", message: "out of memory" }; }', /grader threw on sample 0.*InternalError: out of memory/],
  ] as [string, string, RegExp, Record<string, number>?, Record<string, number>?][])('%s: one clear line, never a crash, a stall or "learning rate too high"', (_what, source, message, limits, run) => {
    const r = train(['--config', configFile('bad.json', withGrader({ type: 'js', source, timeout_ms: 500, memory_mb: 64, ...limits }, { steps: 2, ...run }))]);
    if (message.source === '^$') {
      // Harmless after all: it must simply train.
      expect(r.code, r.stderr).toBe(0);
      return;
    }
    expect([1, 2]).toContain(r.code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/learning rate|diverged/i);
    expectPlainLines(r.stderr);
    expect(r.ms).toBeLessThan(30_000);
  });

  it.each([
    ['memory_mb beyond what the VM can honour', { type: 'js', source: 'function grade() { return 1; }', memory_mb: 4096 }, /^error: config\.grader\.memory_mb = 4096: must be at most 1024$/],
    ['a formula reaching for a method', { type: 'multi', graders: { a: { type: 'string_check', operation: 'eq' } }, calculate_output: 'min.call(0, a)' }, /^error: config\.grader\.calculate_output = "min\.call\(0, a\)": member access \("\."\) is not allowed/],
    ['a 500,000-bracket regular expression', { type: 'regex', pattern: '('.repeat(500_000) }, /^error: config\.grader\.pattern/],
  ])('%s: refused before step 1 with one short line', (_what, grader, message) => {
    const r = train(['--config', configFile('refused.json', withGrader(grader))]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expectPlainLines(r.stderr);
  });

  it('a catastrophic regular expression stops the step with the timeout message instead of hanging', () => {
    const r = train(['--config', configFile('regex.json', withGrader({ type: 'regex', pattern: '^(a+)+$', input: `${'a'.repeat(40)}!{{sample.output_text}}` }, { steps: 2 }))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/grader timed out on sample 0 or a later one \(up to 255\): time limit 2000 ms per batch/);
    expectPlainLines(r.stderr);
    expect(r.ms).toBeLessThan(20_000);
  });

  it('rouge_l over 4,000-character strings times out instead of taking 14 s a step', () => {
    const long = 'abcd'.repeat(1000);
    const r = train(['--config', configFile('rouge.json', withGrader({ type: 'text_similarity', evaluation_metric: 'rouge_l', tokens: 'chars', input: `${long}{{sample.output_text}}`, reference: long }, { steps: 3 }))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/grader timed out/);
    expectPlainLines(r.stderr);
    expect(r.ms).toBeLessThan(20_000);
  });
});

describe('the trainer keeps its work', () => {
  it('Ctrl-C mid-run: every finished step is a whole JSON line, exit 130, and it says how many', async () => {
    const out = join(dir, 'interrupted.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', '--backend', 'cpu', '--steps', '1000000', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until lines are arriving (tail -f would see them), then interrupt.
    const t0 = Date.now();
    while (!(existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 50)) {
      if (Date.now() - t0 > 60_000) throw new Error(`no steps written within 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code).toBe(130);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { step: number });
    expect(lines.map((l) => l.step)).toEqual(lines.map((_, i) => i + 1));
    expect(stderr.trim()).toBe(`interrupted (SIGINT): ${lines.length} steps written to ${out}`);
  });

  it.each([
    ['a full disk', ['--out', '/dev/full'], 1, /^error: --out \/dev\/full: a write failed: no space left on the device \(ENOSPC\); 0 steps had been written before it$/],
    ['a missing folder', ['--out', '/no/such/dir/x.jsonl'], 2, /^error: --out \/no\/such\/dir\/x\.jsonl: cannot write there: the folder \/no\/such\/dir does not exist$/],
    ['a folder as --out', ['--out', tmpdir()], 2, /^error: --out .*: cannot write there: it is a folder$/],
    ['a missing folder for --dump-policy', ['--dump-policy', '/no/such/dir/p.json'], 2, /^error: --dump-policy \/no\/such\/dir\/p\.json: cannot write there: the folder \/no\/such\/dir does not exist$/],
  ])('%s: exit %s with one line', (_what, args, code, message) => {
    const r = train(['--backend', 'cpu', '--steps', '20', ...(args as string[])]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim()).toMatch(message as RegExp);
    expectPlainLines(r.stderr);
  });

  it('bad output paths are refused before step 1, without waiting for the run', () => {
    const r = train(['--backend', 'cpu', '--steps', '100000', '--dump-policy', join(dir, 'missing', 'p.json')]);
    expect(r.code).toBe(2);
    expect(r.ms).toBeLessThan(15_000);
  });

  it('a default run (backend auto) on a machine without a GPU prints no native text, only what was used, in words', () => {
    const r = train(['--steps', '2']);
    expect(r.code, r.stderr).toBe(0);
    for (const line of r.stderr.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^note: training on (the CPU|WebGPU)/);
    expectPlainLines(r.stderr);
  });
});

describe('config files that are not quite right', () => {
  it('a UTF-8 byte-order mark is accepted, as in JSONL files', () => {
    const r = train(['--config', configFile('bom.json', '\uFEFF{"task":"add","steps":2,"backend":"cpu"}')]);
    expect(r.code, r.stderr).toBe(0);
  });
  it.each([
    ['a learning rate of 1e400', '{"optimizer":{"learning_rate":1e400}}', /^error: config\.optimizer\.learning_rate = Infinity: must be a finite number \(a JSON number beyond ±1\.8e308 overflows to Infinity\)$/],
    ['nesting 100,000 levels deep', `{"task":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, /^error: config file .* nests more than 64 levels deep/],
  ])('%s: one line naming the field', (_what, text, message) => {
    const r = train(['--config', configFile('odd.json', text)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expectPlainLines(r.stderr);
  });
  it.each([['/dev/zero', /is not a regular file/], [tmpdir(), /is a folder/]])('%s as the config: refused before reading', (path, message) => {
    const r = train(['--config', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expectPlainLines(r.stderr);
  });
  it('a JSONL item nested 100,000 levels deep names its file and line', () => {
    const rft = join(dir, 'deep.jsonl');
    writeFileSync(rft, `{"messages":[{"role":"user","content":"hi"}],"reference":"ih"}\n{"messages":[{"role":"user","content":"yo"}],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`);
    const r = train(['--config', configFile('deep-task.json', { task: { rft_file: rft, grader: { type: 'string_check', operation: 'eq', input: '{{sample.output_text}}', reference: '{{item.reference}}' } }, objective: 'rft', backend: 'cpu', steps: 1 })]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/deep\.jsonl.*line 2.*nested more than 64 levels deep/);
    expectPlainLines(r.stderr);
  });
});
