/**
 * The exported Python graders against the playground's JS graders: python3 scores
 * 1,200 samples per template (empty, Unicode, long and adversarial strings) and
 * every score must equal the JS score within 1e-9. A sample the JS grader cannot
 * grade scores 0 there; the Python port raises GradeError, which scores 0 too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraderSpec, TaskItem } from '../../src/engine/task.ts';
import { createGrader } from '../../src/graders/index.ts';
import { pythonGrader } from '../../src/export/python-grader.ts';

const SAMPLES = 1200;

const PIECES = [
  '', ' ', '3', ' 12 ', '12', '-7', '+.5', '1.', '.', '1e3', '1E-2', '1e400', '-0', '0x1f', '1_000', 'NaN', 'Infinity', '٣', '１２',
  'abc', 'cab', 'ABC', 'a b c', 'the cat sat', 'The Cat', 'cat.', 'cats', 'İstanbul', 'ΣΑΣ', 'σας', 'straße', 'STRASSE', 'ǅ', 'ß',
  'ſ', 'K', 'k', 'é', 'é', '😀', 'a😀b', '👍🏽', '中文字', '\t', '\n', '\r\n', '\u2028', '\u00a0', '\ufeff', '\u0085', '\u001c',
  '{{item.reference}}', '"quoted"', '\\', '.*', '$', '^', 'a\nb', '123abc', '3.14', '007', 'x'.repeat(40),
];

/** A seeded generator, so a failure names a reproducible sample. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    s ^= s >>> 13;
    return s / 4294967296;
  };
}

function cases(seed: number): { samples: { output_text: string }[]; items: TaskItem[] } {
  const r = rng(seed);
  const pick = () => PIECES[Math.floor(r() * PIECES.length)];
  const phrase = () => {
    const n = r() < 0.1 ? 30 : Math.floor(r() * 4);
    let s = '';
    for (let k = 0; k < n; k++) s += (k && r() < 0.5 ? ' ' : '') + pick();
    return s;
  };
  const samples: { output_text: string }[] = [];
  const items: TaskItem[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const reference = phrase();
    // A third of the answers are edits of the reference, so partial scores are common.
    const output = r() < 0.33 ? reference.slice(0, Math.floor(r() * reference.length)) + pick() : r() < 0.1 ? reference : phrase();
    samples.push({ output_text: output });
    items.push({ prompt: `p${i}`, reference, n: Math.floor(r() * 20) - 5, x: r() < 0.5 ? 0.1 * i : 1e21 * i, nested: { a: [1, 'b', 0.5] } } as TaskItem);
  }
  return { samples, items };
}

const TEMPLATES: [string, GraderSpec][] = [
  ['string_check eq', { type: 'string_check', operation: 'eq' }],
  ['string_check ne', { type: 'string_check', operation: 'ne' }],
  ['string_check like', { type: 'string_check', operation: 'like' }],
  ['string_check ilike', { type: 'string_check', operation: 'ilike' }],
  ['string_check on item fields (numbers, objects as text)', { type: 'string_check', operation: 'like', input: '{{item.x}}|{{item.nested}}|{{item.missing}}', reference: '{{ item.n }}' }],
  ['fuzzy_match', { type: 'text_similarity', evaluation_metric: 'fuzzy_match' }],
  ['bleu words', { type: 'text_similarity', evaluation_metric: 'bleu' }],
  ['bleu chars', { type: 'text_similarity', evaluation_metric: 'bleu', tokens: 'chars' }],
  ['rouge_1', { type: 'text_similarity', evaluation_metric: 'rouge_1' }],
  ['rouge_2 chars', { type: 'text_similarity', evaluation_metric: 'rouge_2', tokens: 'chars' }],
  ['rouge_5', { type: 'text_similarity', evaluation_metric: 'rouge_5', tokens: 'chars' }],
  ['rouge_l', { type: 'text_similarity', evaluation_metric: 'rouge_l' }],
  ['fuzzy_match pass_threshold', { type: 'text_similarity', evaluation_metric: 'fuzzy_match', pass_threshold: 0.5 }],
  ['numeric partial credit', { type: 'numeric', tolerance: 1, partial_credit: 3 }],
  ['numeric relative', { type: 'numeric', tolerance: 0.05, relative: true }],
  ['numeric against an item number', { type: 'numeric', reference: '{{item.n}}', partial_credit: 2 }],
  ['regex digits', { type: 'regex', pattern: '^\\d+$' }],
  ['regex i, class, quantifier', { type: 'regex', pattern: '^[a-c]{2,4}$', flags: 'iu' }],
  ['regex word boundary', { type: 'regex', pattern: '\\bcat\\b' }],
  ['regex dot, negate', { type: 'regex', pattern: '^.+$', negate: true }],
  ['regex s flag', { type: 'regex', pattern: 'a.b', flags: 'su' }],
  ['regex m flag', { type: 'regex', pattern: '^b$|^\\s*$', flags: 'mu' }],
  ['regex Unicode, escapes, groups', { type: 'regex', pattern: '(?:é|\\u{1F600}|[\\s\\d])(?=.)|\\.\\*|(?<cap>ß)+' }],
  ['regex i on Unicode letters', { type: 'regex', pattern: 'σ|straße|k|é', flags: 'iu' }],
  [
    'multi, weighted',
    {
      type: 'multi',
      graders: { exact: { type: 'string_check', operation: 'eq' }, fuzzy: { type: 'text_similarity', evaluation_metric: 'fuzzy_match' } },
      calculate_output: '0.7 * exact + 0.3 * fuzzy',
    },
  ],
  [
    'multi, every function and IEEE edge (division by zero, log 0)',
    {
      type: 'multi',
      graders: {
        num: { type: 'numeric', partial_credit: 4 },
        fmt: { type: 'regex', pattern: '^[0-9]+$' },
        sim: { type: 'text_similarity', evaluation_metric: 'rouge_l', tokens: 'chars' },
      },
      calculate_output: 'min(1, max(num, sim) ^ 2 / (fmt + 0.5)) + floor(sim * 3) / 3 - abs(-num) * 0.1 + sqrt(sim) + exp(-num) + log(sim + 1) + ceil(num) * 0 + min(1, 1 / fmt) * 0.01 - -PI * 0 + E * 0',
    },
  ],
  [
    'multi, precedence (-a^b, right-associative ^, unary +) and signed zeros',
    {
      type: 'multi',
      graders: {
        num: { type: 'numeric', partial_credit: 4 },
        fmt: { type: 'regex', pattern: '^[0-9]+$' },
        sim: { type: 'text_similarity', evaluation_metric: 'rouge_l', tokens: 'chars' },
      },
      calculate_output: '-num ^ 2 + 2 ^ -sim ^ 2 + (-sim) ^ 2 - 2 ^ 3 ^ fmt / 100 + num - -sim * +fmt - (num - sim) / 2 + max(0, 1 / ceil(sim - 0.5)) / 1000 + max(0, 1 / min(0, -fmt * 0)) + (1 - num) ^ (1 / sim) * 0.1',
    },
  ],
];

function pythonScores(source: string, samples: unknown[], items: unknown[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'rft-export-'));
  writeFileSync(join(dir, 'grader.py'), source);
  writeFileSync(join(dir, 'cases.json'), JSON.stringify({ samples, items }));
  const runner = `import json, sys
sys.path.insert(0, ${JSON.stringify(dir)})
import grader
cases = json.load(open(${JSON.stringify(join(dir, 'cases.json'))}, encoding="utf-8"))
out = []
for s, i in zip(cases["samples"], cases["items"]):
    try:
        out.append(grader.grade(s, i))
    except grader.GradeError:
        out.append(0.0)
print(json.dumps(out))
`;
  writeFileSync(join(dir, 'run.py'), runner);
  execFileSync('python3', ['-m', 'py_compile', join(dir, 'grader.py')]);
  return JSON.parse(execFileSync('python3', [join(dir, 'run.py')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as number[];
}

describe('Python ports of the template graders give the JS scores', () => {
  it.each(TEMPLATES)('%s', async (_name, spec) => {
    const py = pythonGrader(spec);
    expect(py.ok, py.ok ? '' : py.reason).toBe(true);
    if (!py.ok) return;
    const { samples, items } = cases(_name.length * 7919);
    const js = await createGrader(spec).grade(samples, items);
    const scores = pythonScores(py.source, samples, items);
    expect(scores.length).toBe(SAMPLES);
    let distinct = new Set<number>();
    for (let i = 0; i < SAMPLES; i++) {
      distinct.add(js.scores[i]);
      if (!(Math.abs(scores[i] - js.scores[i]) <= 1e-9)) {
        throw new Error(`sample ${i}: output ${JSON.stringify(samples[i].output_text)}, item ${JSON.stringify(items[i])}: JS ${js.scores[i]}, Python ${scores[i]}`);
      }
    }
    // A template that scores everything the same would prove nothing.
    expect(distinct.size, 'the samples must produce different scores').toBeGreaterThan(1);
    distinct = new Set();
  }, 60_000);
});
