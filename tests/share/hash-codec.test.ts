import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, parseConfig, type Config } from '../../src/engine/config.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import {
  acceptPendingCode,
  decodeShareHash,
  decodeShareObject,
  defaultShareState,
  encodeShareHash,
  linkLimitations,
  MAX_HASH_CHARS,
  shareUrl,
} from '../../src/share/hash-codec.ts';
import type { ShareState } from '../../src/share/run-state.ts';
import { isPlainObject } from '../../src/share/safe-json.ts';
import { taskIds } from '../../src/tasks/index.ts';

/** A non-default value for every leaf of the config (checked below to cover every field the schema has). */
const ALTERNATIVES: Record<string, unknown> = {
  task: 'add',
  objective: 'dpo',
  'policy.kind': 'autoregressive',
  'policy.max_len': 12,
  'policy.init': 'base',
  'policy.init_scale': 0.25,
  'policy.layers': 3,
  'policy.d_model': 48,
  'policy.heads': 2,
  'policy.d_mlp': 64,
  'policy.positions': 'rotary',
  'policy.base_accuracy': 0.7,
  'policy.base_max_steps': 500,
  eval_prompts: 4,
  eval_split: 'longest',
  eval_steps: 25,
  'optimizer.lr_scheduler_type': 'linear',
  'optimizer.warmup_steps': 10,
  seed: 0xffffffff,
  steps: 1234,
  backend: 'cpu',
  batch_prompts: 16,
  num_generations: 4,
  temperature: 0.7,
  num_prompts: 10,
  demo_error_rate: 0.25,
  preference_noise: 0.1,
  'optimizer.name': 'sgd',
  // Doubles that only survive a round trip if nothing rounds them.
  'optimizer.learning_rate': 0.1 + 0.2,
  'optimizer.max_grad_norm': null,
  'optimizer.adam_beta1': 0.5,
  'optimizer.adam_beta2': 0.99,
  'optimizer.adam_epsilon': 1e-300,
  'rft.advantage': 'rloo',
  'rft.scale_rewards': 'batch',
  'rft.loss_type': 'dr_grpo',
  'rft.epsilon': 0.1,
  'rft.epsilon_high': 0.28,
  'rft.num_iterations': 2,
  'rft.beta': 0.04,
  'rft.entropy_coef': 0.01,
  'rft.baseline_decay': 0.5,
  'dpo.loss_type': 'ipo',
  'dpo.beta': 0.5,
  'dpo.label_smoothing': 0.1,
  'dpo.pairs': 'online',
  grader: { type: 'string_check', name: 'ci', operation: 'ilike', input: '{{sample.output_text}}', reference: '{{item.reference}}' },
  eval_graders: { contains: { type: 'string_check', operation: 'like', input: '{{sample.output_text}}', reference: '{{item.reference}}' } },
};

/** Leaf paths of the default config: values that are not sections; grader and eval_graders count whole. */
function leafPaths(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.keys(obj).flatMap((k) => {
    const path = prefix ? `${prefix}.${k}` : k;
    const v = obj[k];
    if (k === 'grader' || k === 'eval_graders' || !isPlainObject(v)) return [path];
    return leafPaths(v, path);
  });
}

function withLeaf(config: Config, path: string, value: unknown): Config {
  const next = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  const [a, b] = path.split('.');
  if (b === undefined) (next as Record<string, unknown>)[a] = value;
  else next[a][b] = value;
  return loadConfig(next);
}

function everyFieldChanged(): ShareState {
  let config = defaultConfig();
  for (const [path, value] of Object.entries(ALTERNATIVES)) config = withLeaf(config, path, value);
  return {
    config,
    lanes: { rft: false, dpo: true, sft: false },
    teacher: { hide: ['rft.epsilon', 'panel.data', 'lane.sft'], paused: true, reveal: true, presentation: true, lesson: 'grpo-intro' },
  };
}

/** A hash made from raw JSON text, as a hostile sender would. */
const rawHash = (json: string) => 'v1=' + LZString.compressToEncodedURIComponent(json);
const hashOf = (obj: unknown) => rawHash(JSON.stringify(obj));
const payloadOf = (hash: string) => JSON.parse(LZString.decompressFromEncodedURIComponent(hash.replace(/^#?v1=/, ''))!);

describe('share link round trip', () => {
  it('the alternatives table covers every config field, each with a non-default valid value', () => {
    const defaults = defaultConfig() as unknown as Record<string, unknown>;
    expect(Object.keys(ALTERNATIVES).sort()).toEqual(leafPaths(defaults).sort());
    for (const [path, value] of Object.entries(ALTERNATIVES)) {
      const changed = withLeaf(defaultConfig(), path, value);
      expect(JSON.stringify(changed), path).not.toEqual(JSON.stringify(defaults));
    }
  });

  it.each(Object.entries(ALTERNATIVES))('round-trips %s alone, and the link carries only that field', (path, value) => {
    const state = defaultShareState();
    state.config = withLeaf(state.config, path, value);
    const hash = encodeShareHash(state);
    const decoded = decodeShareHash('#' + hash);
    expect(decoded.problems).toEqual([]);
    expect(decoded.pendingCode).toEqual([]);
    expect(decoded.needsConsent).toBe(false);
    expect(decoded.isShareLink).toBe(true);
    expect(decoded.state).toEqual(state);
    const [a, b] = path.split('.');
    expect(payloadOf(hash)).toEqual({ config: b === undefined ? { [a]: value } : { [a]: { [b]: value } } });
  });

  it('round-trips every field, lane switch and teacher option at once', () => {
    const state = everyFieldChanged();
    const decoded = decodeShareHash(encodeShareHash(state));
    expect(decoded.problems).toEqual([]);
    expect(decoded.state).toEqual(state);
    expect(Object.is(decoded.state.config.optimizer.learning_rate, 0.1 + 0.2)).toBe(true);
  });

  it.each([
    ['lanes.rft', (s: ShareState) => (s.lanes.rft = false), { lanes: { rft: false } }],
    ['lanes.sft', (s: ShareState) => (s.lanes.sft = false), { lanes: { sft: false } }],
    ['teacher.hide', (s: ShareState) => (s.teacher.hide = ['optimizer.learning_rate']), { teacher: { hide: ['optimizer.learning_rate'] } }],
    ['teacher.paused', (s: ShareState) => (s.teacher.paused = true), { teacher: { paused: true } }],
    ['teacher.reveal', (s: ShareState) => (s.teacher.reveal = true), { teacher: { reveal: true } }],
    ['teacher.presentation', (s: ShareState) => (s.teacher.presentation = true), { teacher: { presentation: true } }],
    ['teacher.lesson', (s: ShareState) => (s.teacher.lesson = 'dpo-vs-rft'), { teacher: { lesson: 'dpo-vs-rft' } }],
  ])('round-trips %s alone', (_name, change, payload) => {
    const state = defaultShareState();
    change(state);
    const hash = encodeShareHash(state);
    expect(payloadOf(hash)).toEqual(payload);
    expect(decodeShareHash(hash)).toMatchObject({ problems: [], state });
  });

  it('the default run is a short link that opens the defaults', () => {
    const hash = encodeShareHash(defaultShareState());
    expect(hash.length).toBeLessThan(12);
    expect(decodeShareHash(hash)).toEqual({ isShareLink: true, state: defaultShareState(), problems: [], needsConsent: false, pendingCode: [] });
  });

  // Every one of the config's 48 fields changed at once (a real link changes a few): well under
  // the ~2 KB that chat apps and QR codes carry comfortably.
  it('stays compact: every field changed fits in 1.5 KB', () => {
    expect(encodeShareHash(everyFieldChanged()).length).toBeLessThan(1500);
  });

  it('opening the link reproduces the run step for step (CPU)', async () => {
    const original = loadConfig({ task: 'add', seed: 7, backend: 'cpu', temperature: 0.8, policy: { kind: 'autoregressive' }, rft: { advantage: 'rloo', beta: 0.02 } });
    const opened = decodeShareHash(encodeShareHash({ ...defaultShareState(), config: original })).state.config;
    const run = async (cfg: Config) => {
      const task = resolveTask(cfg);
      const lane = makeLane(cfg, { task, state: initialState(cfg, task) });
      const out: unknown[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await lane.step();
        if (!r.ok) throw new Error(r.message);
        out.push(r.metrics);
      }
      return out;
    };
    const a = await run(original);
    expect(await run(opened)).toEqual(a);
    // The run must differ from the defaults', or the comparison above proves nothing.
    expect(await run(loadConfig({ task: 'add', backend: 'cpu' }))).not.toEqual(a);
  });
});

describe('links that are not ours', () => {
  it.each(['', '#', '#main', '#section-2', 'v=1', 'version1'])('%j is not a share link and reports nothing', (hash) => {
    expect(decodeShareHash(hash)).toEqual({ isShareLink: false, state: defaultShareState(), problems: [], needsConsent: false, pendingCode: [] });
  });
});

describe('damaged and hostile links: defaults plus a message, never a throw', () => {
  it('a newer format version is named', () => {
    const d = decodeShareHash('#v2=' + LZString.compressToEncodedURIComponent('{}'));
    expect(d.problems).toEqual([expect.stringContaining('format v2')]);
    expect(d.state).toEqual(defaultShareState());
  });

  it('garbage and cut-off links', () => {
    expect(decodeShareHash('v1=%%%').problems[0]).toMatch(/bad percent-encoding/);
    expect(decodeShareHash('v1=!!!!').problems[0]).toMatch(/does not decompress/);
    const full = encodeShareHash(everyFieldChanged());
    const cut = decodeShareHash(full.slice(0, full.length - 20));
    expect(cut.problems).toHaveLength(1);
    expect(cut.state).toEqual(defaultShareState());
  });

  it('bad JSON', () => {
    const d = decodeShareHash(rawHash('{"config": {"seed": 4'));
    expect(d.problems).toEqual([expect.stringMatching(/not valid JSON/)]);
    expect(d.state).toEqual(defaultShareState());
    expect(decodeShareHash(rawHash('[1,2]')).problems[0]).toMatch(/not an array/);
    expect(decodeShareHash(rawHash('null')).problems[0]).toMatch(/not null/);
  });

  it('a percent-encoded link (as some mail programs pass it on) still opens', () => {
    const state = everyFieldChanged();
    const hash = encodeShareHash(state);
    const mangled = hash.replace(/\+/g, '%2B').replace(/\$/g, '%24');
    expect(mangled).not.toEqual(hash);
    expect(decodeShareHash(mangled).state).toEqual(state);
  });

  it('wrong types: each bad field is named and dropped, the good ones kept', () => {
    const d = decodeShareHash(hashOf({ config: { seed: '42', temperature: 2, rft: { epsilon: 'big', beta: 0.5 }, policy: 'tabular', lanes: 3 }, lanes: { dpo: 'no', sft: false } }));
    expect(d.state.config.temperature).toBe(2);
    expect(d.state.config.rft.beta).toBe(0.5);
    expect(d.state.config.seed).toBe(0);
    expect(d.state.config.rft.epsilon).toBe(0.2);
    expect(d.state.lanes).toEqual({ rft: true, dpo: true, sft: false });
    expect(d.problems).toEqual(
      expect.arrayContaining([
        'config.seed = "42": must be a number, not string',
        'config.rft.epsilon = "big": must be a number, not string',
        'config.policy = "tabular": must be an object, not a string',
        expect.stringMatching(/^config\.lanes: unknown field/),
        'lanes.dpo = "no": must be a boolean, not a string',
      ]),
    );
    expect(d.problems).toHaveLength(5);
  });

  it('out-of-range numbers are named with the allowed range', () => {
    const d = decodeShareHash(hashOf({ config: { rft: { epsilon: -1, num_iterations: 99 }, temperature: 100, seed: 1.5, optimizer: { learning_rate: 0.05 } } }));
    expect(d.problems).toEqual(
      expect.arrayContaining([
        'config.rft.epsilon = -1: must be >= 0',
        'config.rft.num_iterations = 99: must be <= 16',
        'config.temperature = 100: must be <= 10',
        'config.seed = 1.5: must be an integer',
      ]),
    );
    expect(d.problems).toHaveLength(4);
    expect(d.state.config.optimizer.learning_rate).toBe(0.05);
    expect(parseConfig(d.state.config).ok).toBe(true);
  });

  it('unknown tasks are named with the tasks there are; task files cannot travel in a link', () => {
    const d = decodeShareHash(hashOf({ config: { task: 'chess', seed: 3 } }));
    expect(d.problems).toEqual([`config.task = "chess": unknown task (built-in tasks: ${taskIds().join(', ')})`]);
    expect(taskIds()).toContain('add');
    expect(d.state.config.task).toBe('reverse');
    expect(d.state.config.seed).toBe(3);
    const files = decodeShareHash(hashOf({ config: { task: { sft_file: 'train.jsonl' } } }));
    expect(files.problems[0]).toMatch(/^config\.task: a link can only name a built-in task/);
    expect(files.state.config.task).toBe('reverse');
    expect(decodeShareHash(hashOf({ config: { task: 'add' } }), { taskIds: ['reverse'] }).problems[0]).toMatch(/unknown task \(built-in tasks: reverse\)/);
  });

  it('unknown fields at every level are named', () => {
    const d = decodeShareHash(hashOf({ extra: 1, config: { foo: 1, rft: { bar: 2, beta: 0.1 }, sft: { x: 1 } }, lanes: { ppo: true }, teacher: { theme: 'dark', paused: true } }));
    expect(d.problems).toEqual([
      'extra: unknown part of the link (allowed: config, lanes, teacher, ghosts)',
      expect.stringMatching(/^config\.foo: unknown field \(allowed: task, objective, /),
      expect.stringMatching(/^config\.rft\.bar: unknown field \(allowed: advantage, /),
      'config.sft.x: unknown field',
      'lanes.ppo: unknown lane (lanes: rft, dpo, sft)',
      'teacher.theme: unknown field (allowed: hide, paused, reveal, presentation, lesson)',
    ]);
    expect(d.state.config.rft.beta).toBe(0.1);
    expect(d.state.teacher.paused).toBe(true);
  });

  it('script-like strings are refused wherever they are, and never echoed', () => {
    const payloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'javascript:alert(1)', '<svg/onload=alert(1)>', 'x" onmouseover="alert(1)'];
    for (const p of payloads) {
      const d = decodeShareHash(
        hashOf({
          config: { task: p, objective: p, grader: { type: 'string_check', reference: p }, eval_graders: { [p]: { type: 'string_check' } }, [p]: 1 },
          lanes: { [p]: true },
          teacher: { lesson: p, hide: [p, 'ok-id'], [p]: true },
        }),
      );
      expect(d.state).toEqual({ ...defaultShareState(), teacher: { ...defaultShareState().teacher, hide: ['ok-id'] } });
      expect(d.problems.length).toBeGreaterThanOrEqual(8);
      for (const message of d.problems) {
        expect(message).not.toContain('alert');
        expect(message).not.toMatch(/<\w/);
      }
    }
  });

  it('markup checks leave ordinary text alone', () => {
    const grader = { type: 'string_check', operation: 'eq', input: '{{sample.output_text}}', reference: 'a<b, one=1, x < y' };
    const d = decodeShareHash(hashOf({ config: { grader } }));
    expect(d.problems).toEqual([]);
    expect(d.state.config.grader).toEqual(grader);
  });

  it('invisible bidirectional characters are refused in values', () => {
    const d = decodeShareHash(hashOf({ config: { grader: { type: 'string_check', reference: 'abc\u202Edcb' } } }));
    expect(d.problems).toEqual(['config.grader.reference: contains invisible bidirectional control characters']);
  });

  it('prototype-pollution keys are refused and pollute nothing', () => {
    const json =
      '{"__proto__":{"polluted":1},"config":{"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}},' +
      '"rft":{"__proto__":{"polluted":4},"beta":0.3},"eval_graders":{"__proto__":{"type":"string_check"}},' +
      '"grader":{"type":"string_check","constructor":{"prototype":{"polluted":5}}}},' +
      '"lanes":{"__proto__":{"polluted":6}},"teacher":{"prototype":1}}';
    const d = decodeShareHash(rawHash(json));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getPrototypeOf(d.state.config)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(d.state.config.rft)).toBe(Object.prototype);
    expect(d.state.config.rft.beta).toBe(0.3);
    expect(d.state.config.grader).toBeNull();
    expect(d.problems).toEqual([
      '__proto__: the key "__proto__" is not allowed',
      'config.__proto__: the key "__proto__" is not allowed',
      'config.constructor: the key "constructor" is not allowed',
      'config.rft.__proto__: the key "__proto__" is not allowed',
      'config.eval_graders.__proto__: the key "__proto__" is not allowed',
      'config.grader.constructor: the key "constructor" is not allowed',
      'lanes.__proto__: the key "__proto__" is not allowed',
      'teacher.prototype: the key "prototype" is not allowed',
    ]);
  });

  it('oversized input is refused before any work, and a decompression bomb is caught', () => {
    const long = decodeShareHash('v1=' + 'A'.repeat(MAX_HASH_CHARS));
    expect(long.problems[0]).toMatch(/more than the 16000 a share link can be/);
    const bomb = rawHash(JSON.stringify({ config: { grader: { type: 'string_check', reference: 'a'.repeat(300_000) } } }));
    expect(bomb.length).toBeLessThan(MAX_HASH_CHARS);
    const started = performance.now();
    expect(decodeShareHash(bomb).problems[0]).toMatch(/unpacks to \d+ characters, more than the limit/);
    expect(performance.now() - started).toBeLessThan(1000);
    const longString = decodeShareHash(hashOf({ config: { grader: { type: 'string_check', reference: 'b'.repeat(5000) } } }));
    expect(longString.problems[0]).toMatch(/^config\.grader\.reference: a string of 5000 characters is longer than the limit of 4000/);
  });

  it('absurdly nested values are refused without exhausting the stack', () => {
    const nested = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    const d = decodeShareHash(rawHash(`{"config":{"grader":{"type":"string_check","x":${nested}}}}`));
    expect(d.problems).toEqual([expect.stringMatching(/^config\.grader\.x\.a\.a(\.a)+: nested deeper than 12 levels$/)]);
    const deeper = '['.repeat(90_000) + ']'.repeat(90_000);
    const arrays = decodeShareHash(rawHash(`{"config":{"seed":${deeper}}}`));
    expect(arrays.state).toEqual(defaultShareState());
    expect(arrays.problems).toEqual([expect.stringMatching(/^config\.seed(\.0)+: nested deeper than 12 levels$/)]);
  });

  it('fields that only fit together apply whatever their order', () => {
    // num_generations 1 is valid only once advantage "reinforce" applies; the key order puts it first,
    // and a bad temperature makes the link go field by field.
    const d = decodeShareHash(hashOf({ config: { num_generations: 1, temperature: 100, rft: { advantage: 'reinforce' } } }));
    expect(d.problems).toEqual(['config.temperature = 100: must be <= 10']);
    expect(d.state.config.num_generations).toBe(1);
    expect(d.state.config.rft.advantage).toBe('reinforce');
  });

  it('a cross-field limit drops one field and says why', () => {
    const d = decodeShareHash(hashOf({ config: { batch_prompts: 4096, num_generations: 1024 } }));
    expect(d.state.config.batch_prompts).toBe(4096);
    expect(d.state.config.num_generations).toBe(32);
    expect(d.problems).toEqual([expect.stringMatching(/^config\.num_generations = 1024: batch_prompts × num_generations = 4194304 is more than/)]);
    // The other way round the rule still names num_generations, so the message says which field was dropped.
    const reversed = decodeShareHash(hashOf({ config: { num_generations: 1024, batch_prompts: 4096, temperature: 0 } }));
    expect(reversed.state.config.num_generations).toBe(1024);
    expect(reversed.state.config.batch_prompts).toBe(8);
    expect(reversed.problems).toEqual([
      expect.stringMatching(/^config\.batch_prompts = 4096: not applied, because config\.num_generations = 1024: batch_prompts × num_generations = 4194304/),
      'config.temperature = 0: must be >= 0.05',
    ]);
  });

  it('teacher options: bad ids, duplicates, too many', () => {
    const d = decodeShareHash(hashOf({ teacher: { hide: ['rft.beta', 'rft.beta', 'Bad Id', 7], lesson: 'Intro!', paused: 'yes' } }));
    expect(d.state.teacher).toEqual({ ...defaultShareState().teacher, hide: ['rft.beta'] });
    expect(d.problems).toEqual([
      'teacher.hide.1 = "rft.beta": listed twice',
      expect.stringMatching(/^teacher\.hide\.2 = "Bad Id": must be a control id/),
      'teacher.hide.3 = 7: must be a string, not a number',
      expect.stringMatching(/^teacher\.lesson = "Intro!": must be a lesson id/),
      'teacher.paused = "yes": must be a boolean, not a string',
    ]);
    const many = decodeShareHash(hashOf({ teacher: { hide: Array.from({ length: 70 }, (_, i) => `c${i}`) } }));
    expect(many.state.teacher.hide).toHaveLength(64);
    expect(many.problems).toEqual(['teacher.hide: 70 ids is more than the limit of 64; the first 64 apply']);
    const known = decodeShareHash(hashOf({ teacher: { hide: ['rft.beta', 'panel.x'], lesson: 'nope' } }), { hideIds: ['rft.beta'], lessonIds: ['intro'] });
    expect(known.state.teacher.hide).toEqual(['rft.beta']);
    expect(known.problems).toEqual(['teacher.hide.1 = "panel.x": unknown control (known: rft.beta)', 'teacher.lesson = "nope": unknown lesson (known: intro)']);
  });

  it('never throws and always yields a config the engine accepts (fuzz)', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const atoms: unknown[] = [null, true, 0, -1, 1e308, 0.5, 7, 'x', '', '<b>', '__proto__', [], {}, [1, 'a'], { type: 'js' }, { type: 'string_check' }];
    const keys = ['config', 'lanes', 'teacher', 'task', 'seed', 'rft', 'epsilon', 'grader', 'eval_graders', 'hide', 'lesson', 'rft', 'dpo', 'policy', 'kind', 'beta', '__proto__', 'constructor'];
    const build = (depth: number): unknown => {
      if (depth > 3 || rand() < 0.3) return atoms[Math.floor(rand() * atoms.length)];
      const o: Record<string, unknown> = {};
      for (let i = 0, n = Math.floor(rand() * 5); i < n; i++) Object.defineProperty(o, keys[Math.floor(rand() * keys.length)], { value: build(depth + 1), enumerable: true, configurable: true, writable: true });
      return o;
    };
    for (let i = 0; i < 400; i++) {
      const obj = build(0);
      const hash = hashOf(obj);
      const d = decodeShareHash(rand() < 0.2 ? hash.slice(0, Math.floor(rand() * hash.length)) : hash);
      expect(parseConfig(d.state.config).ok).toBe(true);
      expect(typeof d.state.lanes.rft).toBe('boolean');
      for (const p of d.problems) expect(typeof p).toBe('string');
    }
    expect(({} as Record<string, unknown>).type).toBeUndefined();
  });
});

describe('grader code in a link waits for consent', () => {
  const source = 'export default function grade(sample, item) {\n  // "<script>" in code is text to show, not markup\n  return sample.output_text === item.reference ? 1 : 0;\n}';

  it('a code grader is held back with its code, and the rest of the link applies', () => {
    const state = defaultShareState();
    state.config = loadConfig({ seed: 9, grader: { type: 'js', source } });
    const d = decodeShareHash(encodeShareHash(state));
    expect(d.problems).toEqual([]);
    expect(d.needsConsent).toBe(true);
    expect(d.state.config.grader).toBeNull();
    expect(d.state.config.seed).toBe(9);
    expect(d.pendingCode).toEqual([{ field: 'grader', spec: { type: 'js', source }, code: [{ path: 'config.grader.source', code: source }], warnings: [] }]);
    const accepted = acceptPendingCode(d.state, d.pendingCode);
    expect(accepted.problems).toEqual([]);
    expect(accepted.state).toEqual(state);
  });

  it('code nested in an eval grader (a multi grader) is found too, and hidden characters are pointed out', () => {
    const multi = { type: 'multi', graders: { exact: { type: 'string_check' }, custom: { type: 'js', source: 'return 1; // \u202E evil' } }, calculate_output: 'exact' };
    const state = defaultShareState();
    state.config = loadConfig({ eval_graders: { mix: multi, plain: { type: 'string_check' } } });
    const d = decodeShareHash(encodeShareHash(state));
    expect(d.state.config.eval_graders).toEqual({ plain: { type: 'string_check' } });
    expect(d.pendingCode).toHaveLength(1);
    expect(d.pendingCode[0].field).toBe('eval_graders.mix');
    expect(d.pendingCode[0].code).toEqual([{ path: 'config.eval_graders.mix.graders.custom.source', code: 'return 1; // \u202E evil' }]);
    expect(d.pendingCode[0].warnings[0]).toMatch(/^config\.eval_graders\.mix\.graders\.custom\.source contains invisible bidirectional/);
    expect(acceptPendingCode(d.state, d.pendingCode).state).toEqual(state);
  });

  it('a code grader whose source is not a string is refused, not held', () => {
    const d = decodeShareObject({ config: { grader: { type: 'js', source: 42 } } });
    expect(d.pendingCode).toEqual([]);
    expect(d.problems).toEqual(['config.grader.source: must be a string (the grader\'s code), not a number']);
    expect(decodeShareObject({ config: { grader: { type: 'js' } } }).problems).toEqual(['config.grader.source: is required (the grader\'s code as a string)']);
  });

  it('declining keeps the default grader', () => {
    const d = decodeShareObject({ config: { grader: { type: 'js', source: 'return 0' } } });
    expect(d.state.config.grader).toBeNull();
    expect(acceptPendingCode(d.state, []).state).toEqual(d.state);
  });
});

describe('making a link', () => {
  it('replaces any hash the page address had', () => {
    const state = everyFieldChanged();
    const url = shareUrl('https://example.org/play/?x=1#main', state);
    expect(url).toBe('https://example.org/play/?x=1#' + encodeShareHash(state));
    expect(decodeShareHash(new URL(url).hash).state).toEqual(state);
    expect(shareUrl('https://example.org/', state)).toBe('https://example.org/#' + encodeShareHash(state));
  });

  it('tells the sender what the link will not carry', () => {
    expect(linkLimitations(everyFieldChanged())).toEqual([]);
    const state = defaultShareState();
    state.config = loadConfig({ task: { sft_file: 'mine.jsonl' }, eval_graders: { mine: { type: 'js', source: 'return 1' } } });
    expect(linkLimitations(state)).toEqual([
      'The imported data is not in the link (it stays on this device); whoever opens it gets the default task.',
      'The eval_graders.mine grader is code: whoever opens the link is shown it and asked before it runs.',
    ]);
    // Code that does not compress (random letters) past the link limit.
    let seed = 1;
    const noise = Array.from({ length: 40_000 }, () => String.fromCharCode(97 + ((seed = (Math.imul(seed, 48271) >>> 0) % 2147483647) % 26))).join('');
    state.config = loadConfig({ grader: { type: 'js', source: noise } });
    expect(linkLimitations(state)[1]).toMatch(/^The link is \d+ characters long, more than the 16000 a link can be/);
  });
});
