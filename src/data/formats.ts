/**
 * The three OpenAI fine-tuning formats, read line by line into plain records:
 *   SFT  {"messages": [..., {"role":"user",...}, {"role":"assistant","content": ANSWER}]}
 *   DPO  {"input": {"messages": [..., user]}, "preferred_output": [assistant], "non_preferred_output": [assistant]}
 *   RFT  {"messages": [..., user], ...extra fields = the grader's item}
 * The toy model answers one prompt: the last user message. Messages before it (a system prompt, earlier
 * turns) are kept as the prompt's context so that two conversations ending in the same question stay apart
 * and export gives back what was imported.
 */
import { DataError } from './errors.ts';
import { parseJsonl, splitJsonl, type NamedText } from './jsonl.ts';

export type DataKind = 'sft' | 'dpo' | 'rft';
export const DATA_KINDS: readonly DataKind[] = ['sft', 'dpo', 'rft'];

export const FORMAT_NAMES: Record<DataKind, string> = {
  sft: 'SFT ({"messages": [..., user, assistant]})',
  dpo: 'DPO ({"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]})',
  rft: 'RFT ({"messages": [..., user], ...item fields})',
};

const ROLES = ['system', 'developer', 'user', 'assistant'] as const;
export type Role = (typeof ROLES)[number];

export interface ChatMessage {
  role: Role;
  content: string;
}

/** Where a prompt comes from: the last user message and the conversation before it. */
export interface PromptText {
  context: ChatMessage[];
  prompt: string;
}

export interface SftRecord extends PromptText {
  line: number;
  answer: string;
}

export interface DpoRecord extends PromptText {
  line: number;
  chosen: string;
  rejected: string;
}

export interface RftRecord extends PromptText {
  line: number;
  /** Every field besides `messages`: the grader's item. */
  fields: Record<string, unknown>;
}

/** Item fields the importer fills itself, so an RFT line may not set them. */
export const RESERVED_ITEM_FIELDS = ['prompt', 'context_messages'] as const;

/** A problem with one line; caught per line so that every bad line is reported at once. */
class LineProblem extends Error {}

function fail(message: string): never {
  throw new LineProblem(message);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? text.slice(0, 37) + '...' : text;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** OpenAI content is a string or a list of parts; only text parts mean anything to a character model. */
function readContent(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value
      .map((part, i) => {
        if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
        fail(`${path}[${i}] = ${show(part)}: expected a text part {"type": "text", "text": "..."}`);
      })
      .join('');
  }
  fail(`${path} = ${value === undefined ? 'missing' : show(value)}: expected a string`);
}

function readMessage(value: unknown, path: string): ChatMessage {
  if (!isObject(value)) fail(`${path} = ${show(value)}: expected a message object {"role": ..., "content": ...}`);
  const role = value.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    fail(`${path}.role = ${role === undefined ? 'missing' : show(role)}: expected one of ${ROLES.map((r) => `"${r}"`).join(', ')}`);
  }
  return { role: role as Role, content: readContent(value.content, `${path}.content`) };
}

function readMessages(value: unknown, path: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail(`${path} = ${value === undefined ? 'missing' : show(value)}: expected a non-empty list of messages`);
  }
  return value.map((m, i) => readMessage(m, `${path}[${i}]`));
}

/** Splits a conversation that must end with the user's question. */
function promptOf(messages: ChatMessage[], path: string): PromptText {
  const last = messages[messages.length - 1];
  if (last.role !== 'user') {
    fail(`${path}[${messages.length - 1}].role = "${last.role}": the prompt must end with a "user" message`);
  }
  return { context: messages.slice(0, -1), prompt: last.content };
}

/** A one-message list holding an assistant answer (DPO outputs). */
function readAnswerList(value: unknown, path: string): string {
  if (!Array.isArray(value) || value.length !== 1) {
    fail(`${path} = ${value === undefined ? 'missing' : show(value)}: expected a list with one assistant message`);
  }
  const message = readMessage(value[0], `${path}[0]`);
  if (message.role !== 'assistant') fail(`${path}[0].role = "${message.role}": expected "assistant"`);
  return message.content;
}

function readSft(value: Record<string, unknown>, line: number): SftRecord {
  const messages = readMessages(value.messages, 'messages');
  const last = messages.length - 1;
  if (messages[last].role !== 'assistant') {
    fail(`messages[${last}].role = "${messages[last].role}": an SFT example must end with the "assistant" answer`);
  }
  if (last === 0) fail('messages has only the answer: an SFT example needs a "user" message before the "assistant" answer');
  return { line, ...promptOf(messages.slice(0, -1), 'messages'), answer: messages[last].content };
}

function readDpo(value: Record<string, unknown>, line: number): DpoRecord {
  if (!isObject(value.input)) fail(`input = ${value.input === undefined ? 'missing' : show(value.input)}: expected {"messages": [...]}`);
  const prompt = promptOf(readMessages(value.input.messages, 'input.messages'), 'input.messages');
  return {
    line,
    ...prompt,
    chosen: readAnswerList(value.preferred_output, 'preferred_output'),
    rejected: readAnswerList(value.non_preferred_output, 'non_preferred_output'),
  };
}

function readRft(value: Record<string, unknown>, line: number): RftRecord {
  const prompt = promptOf(readMessages(value.messages, 'messages'), 'messages');
  const { messages: _messages, ...fields } = value;
  for (const name of RESERVED_ITEM_FIELDS) {
    if (name in fields) fail(`field "${name}" is reserved (the importer sets it from the messages); rename it`);
  }
  if ('reference' in fields && typeof fields.reference !== 'string') {
    fail(`reference = ${show(fields.reference)}: expected a string (the answer graders compare against)`);
  }
  return { line, ...prompt, fields };
}

const READERS = { sft: readSft, dpo: readDpo, rft: readRft };
type RecordOf<K extends DataKind> = ReturnType<(typeof READERS)[K]>;

/** Reads a whole file in one format; any bad line refuses the file, with every bad line listed. */
export function readRecords<K extends DataKind>(kind: K, file: NamedText): RecordOf<K>[] {
  const { lines, issues } = splitJsonl(file, FORMAT_NAMES[kind]);
  const records: RecordOf<K>[] = [];
  const read = READERS[kind] as (v: Record<string, unknown>, line: number) => RecordOf<K>;
  for (const { line, value } of lines) {
    try {
      if (!isObject(value)) fail(`expected a JSON object in the ${FORMAT_NAMES[kind]} format, found ${show(value)}`);
      records.push(read(value, line));
    } catch (e) {
      if (!(e instanceof LineProblem)) throw e;
      issues.push({ file: file.name, line, message: `${e.message} (${kind.toUpperCase()} format)` });
    }
  }
  if (issues.length > 0) throw new DataError(issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  return records;
}

/**
 * Guesses a file's format from its first line, for drag-and-drop where the user does not say which it is:
 * DPO has "input"; SFT conversations end with the assistant, RFT ones with the user.
 */
export function detectKind(file: NamedText): DataKind {
  const [first] = parseJsonl(file, 'SFT, DPO or RFT');
  const value = first.value;
  if (isObject(value) && 'input' in value && 'preferred_output' in value) return 'dpo';
  if (isObject(value) && Array.isArray(value.messages) && value.messages.length > 0) {
    const last = value.messages[value.messages.length - 1];
    if (isObject(last) && last.role === 'assistant') return 'sft';
    if (isObject(last) && last.role === 'user') return 'rft';
  }
  throw DataError.single(
    file.name,
    first.line,
    `cannot tell the format from this line; expected one of ${DATA_KINDS.map((k) => FORMAT_NAMES[k]).join(', ')}`,
  );
}

export function toMessages(p: PromptText): ChatMessage[] {
  return [...p.context, { role: 'user', content: p.prompt }];
}
