/**
 * What `npm run export` writes: Python that compiles, a Node script that parses,
 * only TRL config fields that TRL declares, only OpenAI fields the API documents,
 * data that imports back to the same task, and refusals instead of guesses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customTask } from '../../src/data/index.ts';
import { loadConfig, type ConfigInput } from '../../src/engine/config.ts';
import { resolveTask } from '../../src/engine/setup.ts';
import type { GraderSpec } from '../../src/engine/task.ts';
import { ExportError, generateExport, OPENAI_DOCUMENTED_FIELDS, trlConfigArgs, type ExportFormat } from '../../src/export/index.ts';
import { pythonGrader } from '../../src/export/python-grader.ts';
import { taskIds } from '../../src/tasks/index.ts';

/** TRL's field names (from TRL's source, see "source" inside); the copy in tests/fixtures must match ../shared when that exists. */
const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/trl-config-fields.json', import.meta.url), 'utf8')) as {
  configs: Record<string, string[]>;
  training_arguments: string[];
};
const SHARED = new URL('../../../shared/fixtures/trl-config-fields.json', import.meta.url);

function run(over: ConfigInput, format: ExportFormat) {
  const config = loadConfig({ backend: 'cpu', ...over });
  const task = resolveTask(config);
  return { config, task, files: generateExport(config, task, format).files };
}

function writeOut(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rft-export-'));
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

const RUNS: [string, ConfigInput][] = [
  ['rft add', { task: 'add', objective: 'rft' }],
  ['rft reverse, kl, clip-higher, entropy, grpo loss', { task: 'reverse', objective: 'rft', rft: { beta: 0.04, epsilon_high: 0.28, entropy_coef: 0.01, loss_type: 'grpo', num_iterations: 2 }, optimizer: { max_grad_norm: null, name: 'sgd' } }],
  ['rft count, fuzzy grader', { task: 'count', objective: 'rft', grader: { type: 'text_similarity', evaluation_metric: 'fuzzy_match', name: 'fuzzy' } }],
  ['rft add-contains', { task: 'add-contains', objective: 'rft' }],
  ['dpo sort, ipo', { task: 'sort', objective: 'dpo', dpo: { loss_type: 'ipo', beta: 0.5 } }],
  ['dpo reverse, robust', { task: 'reverse', objective: 'dpo', dpo: { loss_type: 'robust', label_smoothing: 0.2 } }],
  ['sft copy-upper', { task: 'copy-upper', objective: 'sft', demo_error_rate: 0.2 }],
];

describe.each(['openai', 'trl'] as const)('%s export', (format) => {
  it.each(RUNS)('%s: every Python file compiles and every Node script parses', (_name, over) => {
    const { files } = run(over, format);
    const dir = writeOut(files);
    expect(files['README.md']).toMatch(/What changes on a real model/);
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.py')) execFileSync('python3', ['-m', 'py_compile', join(dir, name)]);
      if (name.endsWith('.mjs')) execFileSync(process.execPath, ['--check', join(dir, name)]);
    }
    // A grader that went to OpenAI as Python must compile too (it lives inside the JSON).
    if (files['job.json']) {
      const sources = JSON.stringify(JSON.parse(files['job.json'])).match(/"source":"((?:[^"\\]|\\.)*)"/g) ?? [];
      for (const s of sources) {
        const file = join(dir, 'embedded_grader.py');
        writeFileSync(file, JSON.parse(s.slice('"source":'.length)) as string);
        execFileSync('python3', ['-m', 'py_compile', file]);
      }
    }
    expect(Object.keys(files).join(' ')).not.toMatch(/sk-/);
    expect(Object.values(files).join('\n')).not.toMatch(/sk-[A-Za-z0-9]{10}/);
  });

  it.each(RUNS)('%s: the exported data imports back to the same task', (_name, over) => {
    const { config, task, files } = run(over, format);
    const kind = config.objective;
    const name = `train.${kind}.jsonl`;
    const back = customTask({ [kind]: { name, text: files[name] } }, { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0, grader: task.grader, maxLen: task.maxLen });
    const prompt = (p: number, t = task) => t.items[p].prompt;
    if (kind === 'rft') expect(back.items).toEqual(task.items);
    if (kind === 'sft') expect(back.demos.map((d) => [prompt(d.prompt, back), d.answer])).toEqual(task.demos.map((d) => [prompt(d.prompt), d.answer]));
    if (kind === 'dpo') expect(back.pairs.map((p) => [prompt(p.prompt, back), p.chosen, p.rejected])).toEqual(task.pairs.map((p) => [prompt(p.prompt), p.chosen, p.rejected]));
  });
});

describe('names', () => {
  it('the fixture copy is TRL\'s list in ../shared (when present)', () => {
    if (existsSync(SHARED)) expect(JSON.parse(readFileSync(SHARED, 'utf8'))).toEqual(FIXTURE);
  });

  it.each(RUNS)('%s: every TRL config key is a field of TRL\'s config class', (_name, over) => {
    const { config, task, files } = run(over, 'trl');
    const { className, args } = trlConfigArgs(config, task.maxLen);
    const allowed = new Set([...FIXTURE.configs[className], ...FIXTURE.training_arguments]);
    const script = files['train.py'];
    const block = script.slice(script.indexOf(`args = ${className}(`), script.indexOf('\n    )\n', script.indexOf(`args = ${className}(`)));
    const written = [...block.matchAll(/^\s+([a-z_0-9]+)=/gm)].map((m) => m[1]);
    expect(written.length).toBe(args.length + 2);
    for (const key of written) expect(allowed.has(key), `${className}.${key}`).toBe(true);
  });

  it.each(RUNS)('%s: every OpenAI job, method, hyperparameter and grader field is documented', (_name, over) => {
    const { files } = run(over, 'openai');
    const job = JSON.parse(files['job.json']);
    const keys = (o: object, allowed: readonly string[], where: string) => {
      for (const k of Object.keys(o)) expect(allowed.includes(k), `${where}.${k}`).toBe(true);
    };
    keys(job, OPENAI_DOCUMENTED_FIELDS.job, 'job');
    keys(job.method, OPENAI_DOCUMENTED_FIELDS.method, 'method');
    const type = job.method.type as 'supervised' | 'dpo' | 'reinforcement';
    keys(job.method[type], type === 'reinforcement' ? ['grader', 'hyperparameters'] : ['hyperparameters'], `method.${type}`);
    keys(job.method[type].hyperparameters, OPENAI_DOCUMENTED_FIELDS[type], `method.${type}.hyperparameters`);
    const checkGrader = (g: Record<string, unknown>, where: string) => {
      const allowed = (OPENAI_DOCUMENTED_FIELDS.graders as Record<string, readonly string[]>)[g.type as string];
      expect(allowed, `${where}.type = ${String(g.type)}`).toBeDefined();
      keys(g, allowed, where);
      if (g.type === 'multi') for (const [n, sub] of Object.entries(g.graders as object)) checkGrader(sub, `${where}.graders.${n}`);
    };
    if (type === 'reinforcement') checkGrader(job.method.reinforcement.grader, 'grader');
  });
});

describe('refusals', () => {
  const jsGrader: GraderSpec = { type: 'js', source: 'function grade(sample, item) {\n  return sample.output_text.trim() === item.reference ? 1 : 0;\n}' };

  it.each(['openai', 'trl'] as const)('%s: a custom JS grader gives the explanation, the JS and a stub, never a Python grader', (format) => {
    const { files } = run({ task: 'add', objective: 'rft', grader: jsGrader }, format);
    expect(files['grader.js']).toContain('sample.output_text.trim() === item.reference');
    const stub = format === 'openai' ? files['grader_stub.py'] : files['grader.py'];
    expect(stub).toMatch(/def grade\(sample, item\) -> float:\n\s+raise NotImplementedError/);
    expect(stub).not.toMatch(/return /);
    expect(files['README.md']).toMatch(/needs porting by hand/);
    if (format === 'openai') expect(files['start-job.mjs']).toMatch(/not ported yet/);
    execFileSync('python3', ['-c', stub + '\ntry:\n    grade({"output_text": "3"}, {"reference": "3"})\nexcept NotImplementedError:\n    pass\nelse:\n    raise SystemExit(1)\n']);
  });

  it('a multi grader with a JS part, a simulated judge and an untranslatable regex are refused with the reason', () => {
    const multi: GraderSpec = { type: 'multi', graders: { exact: { type: 'string_check', operation: 'eq' }, custom: jsGrader }, calculate_output: 'exact + custom' };
    expect(pythonGrader(multi)).toMatchObject({ ok: false, path: 'grader.graders.custom' });
    expect(pythonGrader({ type: 'simulated_judge', length_bias: 0.5 })).toMatchObject({ ok: false, path: 'grader' });
    for (const [pattern, flags, why] of [
      ['(a)\\1', 'u', /back-references/],
      ['(?<=a)b', 'u', /lookbehind/],
      ['\\p{L}', 'u', /Unicode properties/],
      ['\\w', 'iu', /i flag/],
      ['a.', '', /u flag/],
    ] as const) {
      const r = pythonGrader({ type: 'regex', pattern, flags });
      expect(r.ok, pattern).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(why);
    }
  });

  it.each([
    [{ objective: 'dpo', dpo: { loss_type: 'cdpo', label_smoothing: 0.1 } }, 'trl', /^dpo\.loss_type: "cdpo" is not a TRL 1\.10 loss/],
    [{ objective: 'dpo', dpo: { pairs: 'online' } }, 'trl', /^dpo\.pairs: /],
    [{ objective: 'dpo', dpo: { pairs: 'online' } }, 'openai', /^dpo\.pairs: /],
    [{ objective: 'rft', rft: { advantage: 'rloo' } }, 'trl', /^rft\.advantage: "rloo" has no counterpart/],
    [{ objective: 'rft', rft: { advantage: 'reinforce' } }, 'trl', /^rft\.advantage: "reinforce"/],
  ] as [ConfigInput, ExportFormat, RegExp][])('%j to %s is refused in one line naming the field', (over, format, message) => {
    expect(() => run({ task: 'add', ...over }, format)).toThrow(ExportError);
    expect(() => run({ task: 'add', ...over }, format)).toThrow(message);
  });

  it('the OpenAI export lists a DPO loss type it cannot carry as unmapped', () => {
    expect(run({ task: 'add', objective: 'dpo', dpo: { loss_type: 'hinge' } }, 'openai').files['README.md']).toMatch(/`dpo\.loss_type`.*"hinge" loss becomes the standard sigmoid DPO/);
  });
});

describe('npm run export', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', ...args], { encoding: 'utf8' });

  it('writes the same files as the generator, for every built-in task', () => {
    for (const id of taskIds().slice(0, 3)) {
      const dir = mkdtempSync(join(tmpdir(), 'rft-export-cli-'));
      const configPath = join(dir, 'config.json');
      writeFileSync(configPath, JSON.stringify({ task: id, objective: 'rft' }));
      const r = cli('--config', configPath, '--format', 'trl', '--out', join(dir, 'out'));
      expect(r.status, r.stderr).toBe(0);
      const { files } = run({ task: id, objective: 'rft' }, 'trl');
      for (const [path, text] of Object.entries(files)) expect(readFileSync(join(dir, 'out', path), 'utf8')).toBe(text);
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(Object.keys(files).sort());
    }
  });

  it.each([
    [['--format', 'trl', '--out', 'x'], /^error: --config is required/],
    [['--config', 'nope.json', '--format', 'trl', '--out', 'x'], /^error: cannot read config file nope\.json: no such file/],
    [['--config', 'examples/add-rft.json', '--format', 'gguf', '--out', 'x'], /^error: --format = "gguf": must be one of openai, trl/],
    [['--config', 'examples/add-rft.json', '--format', 'trl', '--out'], /^error: --out needs a value/],
  ])('bad input %j exits 2 with one line', (args, message) => {
    const r = cli(...(args as string[]));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a run TRL would read differently exits 2 naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rft-export-cli-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ task: 'add', objective: 'dpo', dpo: { loss_type: 'cdpo', label_smoothing: 0.1 } }));
    const r = cli('--config', join(dir, 'c.json'), '--format', 'trl', '--out', join(dir, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: dpo\.loss_type: "cdpo"/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
