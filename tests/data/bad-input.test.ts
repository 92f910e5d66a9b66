/**
 * Bad input is refused with a DataError naming the file, the line and what was expected; a file with any
 * bad line is refused whole (no valid line is silently dropped), and the error lists every bad line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { customTask, DataError, MAX_FILE_BYTES, MAX_LINES, readRecords, type DataKind } from '../../src/data/index.ts';
import { loadTaskFiles } from '../../src/data/node-files.ts';

const options = { seed: 0, numPrompts: null, demoErrorRate: 0, preferenceNoise: 0 };
const sftLine = (q: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a }] });

function refusal(kind: DataKind, name: string, text: string): DataError {
  try {
    readRecords(kind, { name, text });
  } catch (e) {
    if (e instanceof DataError) return e;
    throw e;
  }
  throw new Error('expected the file to be refused');
}

describe('bad input', () => {
  it('malformed JSON: names the file and line, and refuses the whole file', () => {
    const wrongRole = JSON.stringify({ messages: [{ role: 'bot', content: 'x' }, { role: 'assistant', content: 'y' }] });
    const text = [sftLine('ab', 'ba'), '{"messages": [{"role": "user"', sftLine('bc', 'cb'), 'not json', wrongRole, ''].join('\n');
    const e = refusal('sft', 'train.jsonl', text);
    // JSON errors and format errors are listed together, in line order.
    expect(e.issues.map((i) => [i.file, i.line])).toEqual([
      ['train.jsonl', 2],
      ['train.jsonl', 4],
      ['train.jsonl', 5],
    ]);
    expect(e.message).toMatch(/^train\.jsonl line 2: not valid JSON .*expected one SFT \(\{"messages": \[\.\.\., user, assistant\]\}\) object per line/);
    expect(e.message).toMatch(/3 problems in all; also line 4, 5\)/);
    expect(e.message).toMatch(/The import was refused; nothing already loaded was changed\./);
  });

  it('names each other line once, even when a line has several problems', async () => {
    const { DataError } = await import('../../src/data/errors.ts');
    const issue = (line: number, file = 'a.jsonl') => ({ file, line, message: `problem on ${line}` });
    const e = new DataError([issue(2), issue(3), issue(4), issue(2), issue(3), issue(7, 'b.jsonl')]);
    expect(e.message).toMatch(/^a\.jsonl line 2: problem on 2 \(6 problems in all; also line 3, 4, b\.jsonl line 7\)\./);
    expect(new DataError([issue(2), issue(2)]).message).toMatch(/^a\.jsonl line 2: problem on 2 \(2 problems in all\)\./);
  });

  it('wrong role: says which message, what it was and what is allowed', () => {
    const text = sftLine('ab', 'ba') + '\n' + JSON.stringify({ messages: [{ role: 'human', content: 'ab' }, { role: 'assistant', content: 'ba' }] });
    expect(refusal('sft', 's.jsonl', text).message).toMatch(
      /^s\.jsonl line 2: messages\[0\]\.role = "human": expected one of "system", "developer", "user", "assistant" \(SFT format\)/,
    );
    const endsWithUser = JSON.stringify({ messages: [{ role: 'user', content: 'ab' }] });
    expect(refusal('sft', 's.jsonl', endsWithUser).message).toMatch(/line 1: messages\[0\]\.role = "user": an SFT example must end with the "assistant" answer/);
    const rftEndsWithAssistant = sftLine('ab', 'ba');
    expect(refusal('rft', 'r.jsonl', rftEndsWithAssistant).message).toMatch(/line 1: messages\[1\]\.role = "assistant": the prompt must end with a "user" message/);
    const dpoWrongRole = JSON.stringify({ input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role: 'user', content: 'a' }], non_preferred_output: [{ role: 'assistant', content: 'b' }] });
    expect(refusal('dpo', 'd.jsonl', dpoWrongRole).message).toMatch(/line 1: preferred_output\[0\]\.role = "user": expected "assistant"/);
  });

  it('missing field: names the field', () => {
    expect(refusal('sft', 's.jsonl', '{"conversation": []}').message).toMatch(/line 1: messages = missing: expected a non-empty list of messages/);
    const noRejected = JSON.stringify({ input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role: 'assistant', content: 'a' }] });
    expect(refusal('dpo', 'd.jsonl', noRejected).message).toMatch(/line 1: non_preferred_output = missing: expected a list with one assistant message \(DPO format\)/);
    const noContent = JSON.stringify({ messages: [{ role: 'user' }, { role: 'assistant', content: 'a' }] });
    expect(refusal('sft', 's.jsonl', noContent).message).toMatch(/line 1: messages\[0\]\.content = missing: expected a string/);
    expect(refusal('rft', 'r.jsonl', '[1, 2]').message).toMatch(/line 1: expected a JSON object in the RFT .* format, found \[1,2\]/);
  });

  it('empty file, or only blank lines', () => {
    for (const text of ['', '\n\n  \n']) {
      const e = refusal('rft', 'empty.jsonl', text);
      expect(e.file).toBe('empty.jsonl');
      expect(e.line).toBeNull();
      expect(e.message).toMatch(/^empty\.jsonl: file is empty; expected one RFT/);
    }
  });

  it('file too large, by bytes or by lines', () => {
    const big = sftLine('a'.repeat(1000), 'b').padEnd(1100, ' ');
    const text = Array.from({ length: Math.ceil(MAX_FILE_BYTES / 1100) + 1 }, () => big).join('\n');
    expect(refusal('sft', 'huge.jsonl', text).message).toMatch(/^huge\.jsonl: file is too large \(2\.0 MiB; the playground accepts at most 2\.0 MiB per file\)/);
    // Multi-byte characters count as bytes: under the limit in UTF-16 units, over it in UTF-8.
    const wide = JSON.stringify({ messages: [{ role: 'user', content: 'é'.repeat(MAX_FILE_BYTES / 2 + 10) }] });
    expect(wide.length).toBeLessThan(MAX_FILE_BYTES);
    expect(refusal('rft', 'wide.jsonl', wide).message).toMatch(/file is too large/);
    const many = Array.from({ length: MAX_LINES + 1 }, () => '{}').join('\n');
    expect(refusal('rft', 'many.jsonl', many).message).toMatch(/^many\.jsonl: file has 20001 lines; the playground accepts at most 20000 per file/);
  });

  it('reserved item fields, a non-string reference, a repeated RFT prompt', () => {
    const reserved = JSON.stringify({ messages: [{ role: 'user', content: 'q' }], prompt: 'x' });
    expect(refusal('rft', 'r.jsonl', reserved).message).toMatch(/line 1: field "prompt" is reserved/);
    const numeric = JSON.stringify({ messages: [{ role: 'user', content: 'q' }], reference: 7 });
    expect(refusal('rft', 'r.jsonl', numeric).message).toMatch(/line 1: reference = 7: expected a string/);
    const q = JSON.stringify({ messages: [{ role: 'user', content: 'q' }], reference: 'a' });
    expect(() => customTask({ rft: { name: 'r.jsonl', text: `${q}\n\n${q}` } }, options)).toThrow(/^r\.jsonl line 3: the same prompt is already on line 1/);
  });

  it('answers that do not fit max_len, and prompts the default grader cannot score', () => {
    const sft = { name: 's.jsonl', text: [sftLine('a', 'xy'), sftLine('b', 'xyz')].join('\n') };
    expect(() => customTask({ sft }, { ...options, maxLen: 3 })).toThrow(/^s\.jsonl line 2: answer "xyz" needs 4 tokens with EOS, but task\.max_len is 3/);
    expect(() => customTask({ sft: { name: 'long.jsonl', text: sftLine('a', 'x'.repeat(40)) } }, options)).toThrow(/long\.jsonl line 1: .*needs 41 tokens with EOS, but the playground's limit is 32 tokens/);
    const rft = { name: 'r.jsonl', text: JSON.stringify({ messages: [{ role: 'user', content: 'q' }], reference: 'ab' }) + '\n' + JSON.stringify({ messages: [{ role: 'user', content: 'p' }] }) };
    expect(() => customTask({ rft }, options)).toThrow(/^r\.jsonl line 2: no "reference" field and no demonstration or preferred answer/);
    // With a grader of its own the task does not need references.
    expect(customTask({ rft }, { ...options, grader: { type: 'string_check', operation: 'like', input: '{{sample.output_text}}', reference: 'a' } }).items).toHaveLength(2);
    expect(() => customTask({}, options)).toThrow(/needs at least one of sft_file, dpo_file, rft_file/);
  });
});

describe('loadTaskFiles (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rft-playground-data-'));

  it('reads the files relative to the config folder', async () => {
    writeFileSync(join(dir, 'train.jsonl'), sftLine('ab', 'ba') + '\n');
    const files = await loadTaskFiles({ sft_file: 'train.jsonl' }, dir);
    expect(files).toEqual({ sft: { name: 'train.jsonl', text: sftLine('ab', 'ba') + '\n' } });
  });

  it('names the file it cannot read', async () => {
    await expect(loadTaskFiles({ rft_file: 'missing.jsonl' }, dir)).rejects.toThrow(/^missing\.jsonl: config\.task\.rft_file: cannot read .*missing\.jsonl: no such file/);
    writeFileSync(join(dir, 'huge.jsonl'), Buffer.alloc(MAX_FILE_BYTES + 1, 0x20));
    await expect(loadTaskFiles({ dpo_file: 'huge.jsonl' }, dir)).rejects.toThrow(/^huge\.jsonl: file is too large \(2097153 bytes/);
  });
});
