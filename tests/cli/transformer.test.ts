/** The headless trainer with a transformer policy, as a user runs it: a child process, files in and out. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'rft-cli-net-'));

function train(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

// Small enough for CI: one layer of width 16, a quick base.
const SMALL = { task: 'sort', backend: 'cpu', seed: 2, steps: 4, eval_steps: 2, eval_prompts: 32, num_prompts: 64, batch_prompts: 4, num_generations: 4, policy: { kind: 'transformer', layers: 1, d_model: 16, heads: 2, base_accuracy: 0.3, base_max_steps: 60 } };

describe('npm run train with policy.kind "transformer"', () => {
  it('pretrains a base, logs its held-out evaluation as step 0, and a saved base reloads to the same run', () => {
    const cfg = configFile('net.json', SMALL);
    const basePath = join(dir, 'base.json');
    const a = train('--config', cfg, '--save-base', basePath);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/note: base model pretrained for \d+ steps/);
    const lines = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([0, 1, 2, 3, 4]);
    expect(Object.keys(lines[0]).sort()).toEqual(['eval_copy_rate', 'eval_copy_rate_greedy', 'eval_reward', 'eval_reward_greedy', 'step']);
    expect(lines[2]).toHaveProperty('eval_reward');
    expect(lines[1]).not.toHaveProperty('eval_reward');
    const saved = JSON.parse(readFileSync(basePath, 'utf8'));
    expect(saved.format).toBe('rft-playground-base');
    // Loading it skips pretraining and trains exactly the same steps.
    const b = train('--config', cfg, '--base', basePath);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).not.toMatch(/pretrained/);
    expect(b.stdout).toBe(a.stdout);
  });

  it('the README\'s transformer example runs as written: a base pretrained at the default size, its step-0 evaluation, then training', () => {
    const r = train('--config', 'examples/sort-transformer-rft.json', '--steps', '2', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: base model pretrained for \d+ steps on \d+ prompts of the task that are neither trained on nor held out: greedy accuracy 0\.(7[5-9]|[89]\d)/);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([0, 1, 2]);
    expect(lines[0].eval_reward_greedy).toBeGreaterThan(0.6);
    expect(lines[2].reward).toBeGreaterThan(0);
  }, 180_000);

  it('random init needs no base and is deterministic', () => {
    const cfg = configFile('rand.json', { ...SMALL, objective: 'sft', policy: { ...SMALL.policy, init: 'random' } });
    const a = train('--config', cfg);
    const b = train('--config', cfg);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stderr).not.toMatch(/pretrained/);
  });

  it.each([
    [{ policy: { kind: 'transformer', d_model: 30, heads: 4 } }, /policy\.d_model = 30 is not divisible by policy\.heads = 4/],
    [{ policy: { kind: 'transformer', heads: 64, d_model: 32 } }, /policy\.heads = 64: must be between 1 and 32/],
    [{ policy: { kind: 'transformer', init: 'uniform' } }, /config\.policy\.init = "uniform": a transformer starts "random"/],
    [{ policy: { kind: 'tabular', init: 'random' } }, /config\.policy\.init = "random": is for the transformer/],
    [{ policy: { kind: 'transformer', positions: 'rotary', d_model: 12, heads: 4 } }, /needs an even head size/],
    [{ policy: { kind: 'transformer', layers: 13 } }, /config\.policy\.layers = 13: must be <= 12/],
    [{ task: 'reverse', eval_prompts: 5000 }, /config\.eval_prompts = 5000: must be <= 4096/],
    [{ task: 'reverse', num_prompts: 1000, eval_prompts: 400 }, /config\.eval_prompts = 400: task "reverse" has 1344 prompts at the transformer's scale, and 1000 are trained on \(num_prompts\); hold out at most 344/],
  ])('refuses %j with a message naming the field (exit 2)', (over, message) => {
    const cfg = configFile("bad.json", { ...SMALL, ...over, policy: (over as { policy?: object }).policy ?? SMALL.policy });
    const r = train('--config', cfg);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length, r.stderr).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a base made for another network, naming the field', () => {
    const basePath = join(dir, 'base16.json');
    const made = train('--config', configFile('b16.json', { ...SMALL, steps: 0 }), '--save-base', basePath);
    expect(made.code, made.stderr).toBe(0);
    const other = configFile('d8.json', { ...SMALL, policy: { ...SMALL.policy, d_model: 8 } });
    const r = train('--config', other, '--base', basePath);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/made for another network: policy\.d_model is 16 there and 8 in this run \(task "sort" in both\)/);
    const table = configFile('table.json', { task: 'sort', backend: 'cpu', steps: 1 });
    const t = train('--config', table, '--base', basePath);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/--base is for policy\.kind "transformer"/);
    // A base pretrained for another split may have seen this run's held-out prompts.
    const split = train('--config', configFile('split.json', { ...SMALL, eval_prompts: 40 }), '--base', basePath);
    expect(split.code).toBe(2);
    expect(split.stderr).toMatch(/pretrained on another corpus .* may have seen this run's held-out prompts/);
    const missing = train('--config', other, '--base', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });

  it('reads --base only from a regular file of a base model size: a device, a folder or a huge file is refused before reading', () => {
    const cfg = configFile('base-inputs.json', SMALL);
    const one = (base: string) => {
      const r = train('--config', cfg, '--base', base);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      return r.stderr;
    };
    expect(one('/dev/zero')).toMatch(/^error: --base \/dev\/zero is not a regular file; expected a base model file \(made with --save-base\)$/m);
    expect(one(dir)).toMatch(/^error: --base .* is a folder; expected a base model file/m);
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, 'x'.repeat(2_000_000));
    expect(one(huge)).toMatch(/^error: --base .*huge\.json is too large \(2000000 bytes; a base model of this network's \d+ parameters is at most \d+ bytes\)$/m);
    expect(one('')).toMatch(/^error: --base needs a value \(got an empty string\)$/m);
  });

  it('refuses two outputs on one file before any work', () => {
    const cfg = configFile('same-out.json', SMALL);
    const path = join(dir, 'same.out');
    const r = train('--config', cfg, '--save-base', path, '--out', path);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --out and --save-base both name .*same\.out: one would overwrite the other; give each its own file$/m);
    expect(r.stderr).not.toMatch(/pretrain/);
    const d = train('--config', cfg, '--dump-policy', path, '--out', join(dir, '.', 'same.out'));
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--out and --dump-policy both name/);
  });

  it('a base that cannot be written (a full disk) is exit 1, as --out', () => {
    const r = train('--config', configFile('full.json', { ...SMALL, steps: 0 }), '--save-base', '/dev/full');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --save-base \/dev\/full: cannot write: /m);
  });

  it('says when num_prompts asks for more prompts than the task has, and names num_prompts when it leaves none to hold out', () => {
    const cut = train('--config', configFile('many.json', { ...SMALL, policy: { ...SMALL.policy, init: 'random' }, num_prompts: 4000, eval_prompts: 0, steps: 1 }));
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/note: num_prompts = 4000, but task "sort" has \d+ prompts to train on: training on those \d+/);
    const none = train('--config', configFile('none-left.json', { ...SMALL, num_prompts: 4000, eval_prompts: 16 }));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: config\.num_prompts = 4000 with eval_prompts = 16: task "sort" has \d+ prompts at the transformer's scale, so num_prompts leaves none to hold out; set num_prompts to at most \d+$/m);
  });
});
