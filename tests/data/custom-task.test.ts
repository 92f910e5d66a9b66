/** Custom tasks from any mix of files, and how they plug into the config and the lane. */
import { describe, expect, it } from 'vitest';
import { customTask, DataError, detectKind, exportTask, withTaskFile, withoutTaskFile, type TaskFileTexts } from '../../src/data/index.ts';
import { loadConfig } from '../../src/engine/config.ts';
import { initialState, makeLane, resolveTask } from '../../src/engine/setup.ts';
import { MAX_VOCAB } from '../../src/engine/task.ts';
import { builtinTask } from '../../src/tasks/index.ts';

const options = { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0 };
const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

describe('custom task from files', () => {
  it('works from RFT prompts alone, and RFT trains on it', async () => {
    const reverse = builtinTask('reverse', options);
    const rft = exportTask(reverse).files.rft;
    const config = loadConfig({ backend: 'cpu', task: { rft_file: 'rft.jsonl' }, steps: 300, seed: 0 });
    const task = resolveTask(config, { rft });
    expect(task.demos).toEqual([]);
    expect(task.pairs).toEqual([]);
    expect(task.description).toMatch(/No demonstrations: SFT needs an SFT file/);
    const lane = makeLane(config, { task, state: initialState(config, task) });
    let last = 0;
    for (let s = 0; s < 300; s++) {
      const o = await lane.step();
      if (!o.ok) throw new Error(o.message);
      last = o.metrics.reward;
    }
    expect(last).toBeGreaterThanOrEqual(0.9);
  });

  it('says so when SFT has no demonstrations or offline DPO has no pairs', () => {
    const rft = { name: 'rft.jsonl', text: lines([{ messages: [user('2+2=')], reference: '4' }]) };
    const sft = loadConfig({ task: { rft_file: 'rft.jsonl' }, objective: 'sft' });
    expect(() => resolveTask(sft, { rft })).toThrow(/has no demonstrations: SFT needs an SFT file \(task\.sft_file\)/);
    const dpo = loadConfig({ task: { rft_file: 'rft.jsonl' }, objective: 'dpo' });
    expect(() => resolveTask(dpo, { rft })).toThrow(/offline DPO needs a DPO file \(task\.dpo_file\), or set dpo\.pairs to "online"/);
    expect(resolveTask(loadConfig({ task: { rft_file: 'rft.jsonl' }, objective: 'dpo', dpo: { pairs: 'online' } }), { rft }).items).toHaveLength(1);
    expect(() => resolveTask(sft)).toThrow(/load them first \(loadTaskFiles/);
  });

  it('unites prompts across files; SFT- and DPO-only prompts take their reference from the data', () => {
    const files: TaskFileTexts = {
      rft: { name: 'r.jsonl', text: lines([{ messages: [user('1+1=')], reference: '2' }, { messages: [user('1+2=')], reference: '3' }]) },
      sft: { name: 's.jsonl', text: lines([{ messages: [user('1+2='), assistant('3')] }, { messages: [user('2+2='), assistant('4')] }, { messages: [user('2+2='), assistant('5')] }]) },
      dpo: { name: 'd.jsonl', text: lines([{ input: { messages: [user('3+3=')] }, preferred_output: [assistant('6')], non_preferred_output: [assistant('7')] }]) },
    };
    const task = customTask(files, options);
    expect(task.items).toEqual([
      { prompt: '1+1=', reference: '2' },
      { prompt: '1+2=', reference: '3' },
      { prompt: '2+2=', reference: '4' },
      { prompt: '3+3=', reference: '6' },
    ]);
    expect(task.demos).toEqual([{ prompt: 1, answer: '3' }, { prompt: 2, answer: '4' }, { prompt: 2, answer: '5' }]);
    expect(task.pairs).toEqual([{ prompt: 3, chosen: '6', rejected: '7' }]);
    expect(task.alphabet).toEqual(['2', '3', '4', '5', '6', '7']);
    expect(task.maxLen).toBe(2);
    expect(task.description).toMatch(/2 prompts have no demonstration: SFT does not train on them/);
    expect(task.description).toMatch(/3 prompts have no preference pair/);
  });

  it('applies num_prompts, demo_error_rate and preference_noise to custom data', () => {
    const add = builtinTask('add', options);
    const { files } = exportTask(add);
    const few = customTask(files, { ...options, numPrompts: 4 });
    expect(few.items).toEqual(add.items.slice(0, 4));
    expect(few.demos.every((d) => d.prompt < 4)).toBe(true);
    expect(few.demos).toHaveLength(add.demos.filter((d) => d.prompt < 4).length);
    const noisy = customTask(files, { ...options, demoErrorRate: 0.5, preferenceNoise: 0.25 });
    const wrongDemos = noisy.demos.filter((d) => d.answer !== noisy.items[d.prompt].reference).length;
    expect(wrongDemos).toBe(Math.round(0.5 * add.demos.length));
    const swapped = noisy.pairs.filter((p) => p.chosen !== noisy.items[p.prompt].reference).length;
    expect(swapped).toBe(Math.round(0.25 * add.pairs.length));
  });

  it('refuses more answer characters than the vocabulary holds, saying how many', () => {
    const chars = Array.from({ length: MAX_VOCAB }, (_, i) => String.fromCodePoint(0x41 + i));
    const rft = { name: 'big-vocab.jsonl', text: lines(chars.map((c, i) => ({ messages: [user(`q${i}`)], reference: c }))) };
    expect(() => customTask({ rft }, options)).toThrow(DataError);
    expect(() => customTask({ rft }, options)).toThrow(new RegExp(`big-vocab\\.jsonl: the answers use ${MAX_VOCAB} distinct characters .*at most ${MAX_VOCAB - 1}`));
    // One character fewer fits exactly.
    const fits = { name: 'ok.jsonl', text: lines(chars.slice(1).map((c, i) => ({ messages: [user(`q${i}`)], reference: c }))) };
    expect(customTask({ rft: fits }, options).alphabet).toHaveLength(MAX_VOCAB - 1);
  });

  it('reads content given as a list of text parts', () => {
    const sft = { name: 's.jsonl', text: lines([{ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, assistant('ba')] }]) };
    expect(customTask({ sft }, options).items[0].prompt).toBe('ab');
  });
});

describe('file set for drag-and-drop', () => {
  const good = { name: 'mine.jsonl', text: lines([{ messages: [user('ab'), assistant('ba')] }]) };

  it('detects the format and returns a new set', () => {
    const before: TaskFileTexts = {};
    const added = withTaskFile(before, good);
    expect(added.kind).toBe('sft');
    expect(added.lines).toBe(1);
    expect(added.files.sft).toBe(good);
    expect(before).toEqual({});
    expect(withoutTaskFile(added.files, 'sft')).toEqual({});
    expect(detectKind({ name: 'r', text: lines([{ messages: [user('x')] }]) })).toBe('rft');
    expect(detectKind({ name: 'd', text: lines([{ input: { messages: [user('x')] }, preferred_output: [], non_preferred_output: [] }]) })).toBe('dpo');
  });

  it('never loses what was loaded when a bad file is added', () => {
    const loaded = withTaskFile({}, good).files;
    const snapshot = structuredClone(loaded);
    const bad = { name: 'bad.jsonl', text: lines([{ messages: [user('ab'), assistant('ba')] }]) + '{"messages": [\n' };
    expect(() => withTaskFile(loaded, bad, 'sft')).toThrow(/bad\.jsonl line 2: not valid JSON/);
    expect(loaded).toEqual(snapshot);
    expect(customTask(loaded, options).demos).toEqual([{ prompt: 0, answer: 'ba' }]);
  });
});
