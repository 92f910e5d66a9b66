/**
 * Files in OpenAI's fine-tuning formats as its documentation writes them: a system (or developer)
 * message with the user's question is one prompt, and an RFT task needs no reference answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customTask, DataError, exportTask } from '../../src/data/index.ts';
import { readRecords } from '../../src/data/formats.ts';
import { loadConfig } from '../../src/engine/config.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';

const options = { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0 };
const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

// OpenAI's supervised fine-tuning example (platform docs, "Preparing your dataset"), verbatim.
const MARV = 'Marv is a factual chatbot that is also sarcastic.';
const OPENAI_SFT_EXAMPLE = [
  { messages: [{ role: 'system', content: MARV }, { role: 'user', content: "What's the capital of France?" }, { role: 'assistant', content: "Paris, as if everyone doesn't know that already." }] },
  { messages: [{ role: 'system', content: MARV }, { role: 'user', content: "Who wrote 'Romeo and Juliet'?" }, { role: 'assistant', content: 'Oh, just some guy named William Shakespeare. Ever heard of him?' }] },
  { messages: [{ role: 'system', content: MARV }, { role: 'user', content: 'How far is the Moon from Earth?' }, { role: 'assistant', content: 'Around 384,400 kilometers. Give or take a few, like that really matters.' }] },
];

/** The same shape with answers short enough for the toy model (max 32 tokens, 63 characters). */
const shortSft = (system: string | null) =>
  [
    ['hi', 'ih'],
    ['cat', 'tac'],
    ['dog', 'god'],
  ].map(([q, a]) => ({ messages: [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: q }, { role: 'assistant', content: a }] }));

describe('system messages in OpenAI files', () => {
  it("reads OpenAI's documented SFT example: one prompt per line, the system message kept as its context", () => {
    const records = readRecords('sft', { name: 'marv.jsonl', text: lines(OPENAI_SFT_EXAMPLE) });
    expect(records.map((r) => r.prompt)).toEqual(["What's the capital of France?", "Who wrote 'Romeo and Juliet'?", 'How far is the Moon from Earth?']);
    expect(records.every((r) => r.context.length === 1 && r.context[0].role === 'system')).toBe(true);
    // The toy model cannot write 73-character answers; it says so instead of splitting or dropping prompts.
    expect(() => customTask({ sft: { name: 'marv.jsonl', text: lines(OPENAI_SFT_EXAMPLE) } }, options)).toThrow(/needs \d+ tokens with EOS/);
  });

  it('a system message plus a user message is one prompt, also across files without the system message', () => {
    const sft = { name: 'sft.jsonl', text: lines(shortSft(MARV)) };
    const rft = { name: 'rft.jsonl', text: lines(shortSft(null).map((r) => ({ messages: r.messages.slice(0, -1), reference: r.messages.at(-1)!.content }))) };
    const dpo = {
      name: 'dpo.jsonl',
      text: lines(shortSft(null).map((r) => ({ input: { messages: r.messages.slice(0, -1) }, preferred_output: [r.messages.at(-1)], non_preferred_output: [{ role: 'assistant', content: 'x' }] }))),
    };
    const task = customTask({ sft, rft, dpo }, options);
    expect(task.items.map((i) => i.prompt)).toEqual(['hi', 'cat', 'dog']);
    // SFT trains on every prompt, not on a duplicated half.
    expect(task.demos.map((d) => d.prompt)).toEqual([0, 1, 2]);
    expect(task.pairs.map((p) => p.prompt)).toEqual([0, 1, 2]);
  });

  it('an SFT file alone with a system message: one prompt per question, and export gives the system message back', () => {
    const sft = { name: 'sft.jsonl', text: lines([...shortSft(MARV), ...shortSft(MARV)]) };
    const task = customTask({ sft }, options);
    expect(task.items).toHaveLength(3);
    expect(task.demos).toHaveLength(6);
    const back = exportTask(task).files.sft.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(back[0].messages[0]).toEqual({ role: 'system', content: MARV });
  });

  it('earlier user turns still tell two conversations apart', () => {
    const a = { messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'ih' }] };
    const b = { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ih' }] };
    expect(customTask({ sft: { name: 's.jsonl', text: lines([a, b]) } }, options).items).toHaveLength(2);
  });
});

/** A property grader: any answer whose length is the prompt's is right; no reference anywhere. */
const SAME_LENGTH = { type: 'js', name: 'same_length', source: 'function grade(sample, item) { return sample.output_text.length === item.prompt.length ? 1 : 0; }' };
/** The answer under another name. */
const ANSWER_FIELD = { type: 'string_check', name: 'answer_match', operation: 'eq', input: '{{sample.output_text}}', reference: '{{item.answer}}' };
const ANSWERS = [
  ['ab', 'ba'],
  ['abc', 'cba'],
  ['bca', 'acb'],
  ['ca', 'ac'],
];

describe('RFT tasks without reference answers', () => {
  const rftAnswer = { name: 'rft.jsonl', text: lines(ANSWERS.map(([q, a]) => ({ messages: [{ role: 'user', content: q }], answer: a }))) };
  const rftBare = { name: 'bare.jsonl', text: lines([{ messages: [{ role: 'user', content: 'ab' }] }, { messages: [{ role: 'developer', content: 'Answer with the letters x, y, z.' }, { role: 'user', content: 'xyz' }] }]) };

  it('takes the vocabulary from the prompts and every string field of the items', () => {
    const task = customTask({ rft: rftAnswer }, { ...options, grader: ANSWER_FIELD as never });
    expect(task.alphabet).toEqual(['a', 'b', 'c']);
    expect(task.maxLen).toBe(4);
    expect(task.description).toMatch(/Vocabulary: 3 characters from the prompts and the items’ fields/);
    const bare = customTask({ rft: rftBare }, { ...options, grader: SAME_LENGTH as never });
    expect(bare.alphabet).toEqual(['a', 'b', 'x', 'y', 'z']);
    expect(bare.maxLen).toBe(4);
  });

  it('takes an explicit alphabet in its order, and refuses answers it cannot write', () => {
    const task = customTask({ rft: rftAnswer }, { ...options, grader: ANSWER_FIELD as never, alphabet: 'cbad' });
    expect(task.alphabet).toEqual(['c', 'b', 'a', 'd']);
    expect(task.description).toMatch(/from task\.alphabet/);
    const withRef = { name: 'r.jsonl', text: lines([{ messages: [{ role: 'user', content: 'ab' }], reference: 'bz' }]) };
    expect(() => customTask({ rft: withRef }, { ...options, alphabet: 'ab' })).toThrow(DataError);
    expect(() => customTask({ rft: withRef }, { ...options, alphabet: 'ab' })).toThrow(/r\.jsonl line 1.*"z".*add it to the alphabet/);
  });

  it('still asks for a grader when nothing can score the prompts', () => {
    expect(() => customTask({ rft: rftAnswer }, options)).toThrow(/no "reference" field .* set the task's grader/);
  });

  it('RFT trains on answers found under another field', async () => {
    const config = loadConfig({ backend: 'cpu', seed: 1, steps: 150, task: { rft_file: 'rft.jsonl', grader: ANSWER_FIELD } });
    const task = resolveTask(config, { rft: rftAnswer });
    const lane = makeLane(config, { task, state: initialState(config, task) });
    const rewards: number[] = [];
    for (let s = 0; s < 150; s++) {
      const o = await lane.step();
      if (!o.ok) throw new Error(o.message);
      rewards.push(o.metrics.reward);
    }
    expect(rewards.slice(-10).reduce((a, b) => a + b, 0) / 10).toBeGreaterThan(0.9);
  });
});

describe('RFT without answers from the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rft-noref-'));
  const train = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { encoding: 'utf8', timeout: 60_000 });
  writeFileSync(join(dir, 'rft.jsonl'), lines(ANSWERS.map(([q, a]) => ({ messages: [{ role: 'user', content: q }], answer: a }))));

  it('trains with the vocabulary taken from the items, and with an explicit alphabet', () => {
    for (const [name, task] of [
      ['items.json', { rft_file: 'rft.jsonl', grader: ANSWER_FIELD }],
      ['alphabet.json', { rft_file: 'rft.jsonl', grader: ANSWER_FIELD, alphabet: 'abc' }],
    ] as const) {
      writeFileSync(join(dir, name), JSON.stringify({ task, objective: 'rft', backend: 'cpu', steps: 120, seed: 1 }));
      const out = join(dir, `${name}.jsonl`);
      const r = train('--config', join(dir, name), '--out', out);
      expect(r.status, r.stderr).toBe(0);
      const last = readFileSync(out, 'utf8').trim().split('\n').slice(-10).map((l) => JSON.parse(l).reward as number);
      expect(last.reduce((a, b) => a + b, 0) / last.length).toBeGreaterThan(0.8);
    }
  });

  it('refuses an alphabet that cannot write the answers, with code 2 and the line', () => {
    writeFileSync(join(dir, 'ref.jsonl'), lines([{ messages: [{ role: 'user', content: 'ab' }], reference: 'ba' }]));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ task: { rft_file: 'ref.jsonl', alphabet: 'a' }, objective: 'rft', backend: 'cpu', steps: 5 }));
    const r = train('--config', join(dir, 'bad.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ref\.jsonl line 1.*"b"/);
  });
});
