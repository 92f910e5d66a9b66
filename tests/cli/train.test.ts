/** The headless trainer as a user runs it: a child process, files in and out, exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'rft-cli-'));

function train(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('npm run train', () => {
  it('prints one JSON object per step with TRL metric names, byte-identical for the same config and seed', () => {
    const cfg = configFile('ok.json', { task: 'reverse', objective: 'rft', steps: 25, backend: 'cpu', seed: 9 });
    const a = train('--config', cfg);
    const b = train('--config', cfg);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const lines = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(25);
    expect(Object.keys(lines[0])).toEqual(expect.arrayContaining(['step', 'loss', 'reward', 'reward_std', 'frac_reward_zero_std', 'kl', 'entropy', 'grader_errors', 'clip_ratio']));
    expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('--seed, --steps, --out and --dump-policy', () => {
    const cfg = configFile('dpo.json', { task: 'add', objective: 'dpo', backend: 'cpu' });
    const out = join(dir, 'm.jsonl');
    const dump = join(dir, 'policy.json');
    const r = train('--config', cfg, '--steps', '7', '--seed', '3', '--out', out, '--dump-policy', dump);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines[0]).toHaveProperty('rewards/accuracies');
    const policy = JSON.parse(readFileSync(dump, 'utf8'));
    expect(policy.tokens[0]).toBe('<EOS>');
    expect(policy.prompts.length).toBe(16);
    for (const row of policy.prompts[0].positions) expect(row.reduce((s: number, p: number) => s + p, 0)).toBeCloseTo(1, 5);
  });

  it.each([
    ['an unknown field', { rft: { epsilonn: 0.1 } }, /config\.rft\.epsilonn = 0\.1: unknown field/],
    ['a wrong type', { steps: 'many' }, /config\.steps = "many": must be a number/],
    ['an out-of-range value', { dpo: { beta: -2 } }, /config\.dpo\.beta = -2: must be > 0/],
    ['an unknown task', { task: 'chess' }, /config\.task = "chess": unknown task/],
    ['a bad grader', { grader: { type: 'string_check', operation: 'almost' } }, /grader\.operation/],
  ])('exits 2 with one line naming the field for %s', (_what, content, pattern) => {
    const r = train('--config', configFile('bad.json', content));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user's mistake
  });

  it('trains on task files in the OpenAI formats, paths relative to the config, and names a bad file and line', () => {
    writeFileSync(join(dir, 'rft.jsonl'), ['2+2=', '1+2=', '3+3='].map((p) => JSON.stringify({ messages: [{ role: 'user', content: p }], reference: String(eval(p.slice(0, -1))) })).join('\n') + '\n');
    const ok = train('--config', configFile('files.json', { task: { rft_file: 'rft.jsonl' }, steps: 60, backend: 'cpu' }));
    expect(ok.code, ok.stderr).toBe(0);
    const last = JSON.parse(ok.stdout.trim().split('\n').at(-1)!);
    expect(last.reward).toBeGreaterThan(0.5);
    writeFileSync(join(dir, 'broken.jsonl'), JSON.stringify({ messages: [{ role: 'user', content: '1+1=' }], reference: '2' }) + '\n{"messages": [\n');
    const bad = train('--config', configFile('files-bad.json', { task: { rft_file: 'broken.jsonl' } }));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/broken\.jsonl line 2/);
  });

  it('names an unreadable or malformed config file', () => {
    const missing = train('--config', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json');
    const broken = train('--config', configFile('broken.json', '{"task": '));
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json is not valid JSON/);
    const badFlag = train('--stepz', '3');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/unknown argument "--stepz"/);
  });
});
