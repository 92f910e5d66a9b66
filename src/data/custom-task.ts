/**
 * A task built from the user's own files in the OpenAI formats, any mix of SFT, DPO and RFT. Pure: the
 * files come in as text, a new Task comes out, nothing is read from disk and nothing passed in is changed.
 *
 * Prompts are the union over the files (RFT order first, then new ones from SFT, then DPO). A prompt that
 * only some files mention still trains where it can: RFT samples and grades every prompt; SFT learns from
 * the prompts that have demonstrations; DPO from those with pairs. Every prompt is measured.
 */
import { drawUnit, permutation, Stream } from '../engine/prng.ts';
import type { Config } from '../engine/config.ts';
import { MAX_VOCAB, type Demo, type GraderSpec, type Pair, type Task, type TaskItem, type TaskOptions } from '../engine/task.ts';
import { EXACT_MATCH } from '../graders/index.ts';
import { DataError, type DataIssue } from './errors.ts';
import { readRecords, type ChatMessage, type DataKind, type PromptText } from './formats.ts';
import type { NamedText } from './jsonl.ts';

export type TaskFileTexts = Partial<Record<DataKind, NamedText>>;

export interface CustomTaskOptions extends TaskOptions {
  /** The task's grader (config.task.grader); null/undefined = exact match against item.reference. */
  grader?: GraderSpec | null;
  /** Longest answer in tokens, EOS included (config.task.max_len); default: the longest answer in the files + 1. */
  maxLen?: number | null;
  /**
   * The characters the policy writes with (config.task.alphabet), in token order. Default: the answers'
   * characters when every prompt has an answer; otherwise also the prompts' and every string field of the items
   * (an RFT file whose items carry no "reference", graded by a property or by another field such as "answer").
   */
  alphabet?: string | null;
}

/** Same bounds as the config (num_prompts ≤ 4096, max_len ≤ 32): a custom task must fit the policy table. */
export const MAX_PROMPTS = 4096;
export const MAX_TASK_LEN = 32;

/** An answer and the line it came from, for messages about it. */
interface Sourced {
  text: string;
  file: string;
  line: number;
}

interface PromptEntry {
  item: TaskItem;
  file: string;
  line: number;
}

/**
 * A prompt is the conversation the model answers, not its instructions: a system (or developer) message
 * before the first user turn belongs to the same prompt, so an SFT file with a system prompt and an RFT
 * file without one pose one prompt, not two (the toy policy cannot read instructions anyway). The first
 * record's instructions are kept as the item's context, so export gives them back.
 */
const isInstruction = (m: ChatMessage) => m.role === 'system' || m.role === 'developer';
const promptKey = (p: PromptText) => {
  const first = p.context.findIndex((m) => !isInstruction(m));
  const turns = first < 0 ? [] : p.context.slice(first);
  return JSON.stringify([turns, p.prompt]);
};

export function customTask(files: TaskFileTexts, options: CustomTaskOptions): Task {
  const kinds = (['rft', 'sft', 'dpo'] as const).filter((k) => files[k]);
  if (kinds.length === 0) {
    throw DataError.single('config.task', null, 'a custom task needs at least one of sft_file, dpo_file, rft_file');
  }
  const rft = files.rft ? readRecords('rft', files.rft) : [];
  const sft = files.sft ? readRecords('sft', files.sft) : [];
  const dpo = files.dpo ? readRecords('dpo', files.dpo) : [];
  const issues: DataIssue[] = [];

  const byKey = new Map<string, number>();
  const entries: PromptEntry[] = [];
  const indexOf = (p: PromptText, file: string, line: number, fields: Record<string, unknown> = {}): number => {
    const key = promptKey(p);
    const known = byKey.get(key);
    if (known !== undefined) return known;
    const item: TaskItem = { prompt: p.prompt, ...fields };
    if (p.context.length > 0) item.context_messages = p.context.map((m): ChatMessage => ({ ...m }));
    byKey.set(key, entries.length);
    entries.push({ item, file, line });
    return entries.length - 1;
  };

  for (const r of rft) {
    const seen = byKey.get(promptKey(r));
    if (seen !== undefined) {
      issues.push({ file: files.rft!.name, line: r.line, message: `the same prompt is already on line ${entries[seen].line}; each RFT prompt must appear once` });
      continue;
    }
    indexOf(r, files.rft!.name, r.line, structuredClone(r.fields));
  }
  let demos: (Demo & { source: Sourced })[] = sft.map((r) => ({
    prompt: indexOf(r, files.sft!.name, r.line),
    answer: r.answer,
    source: { text: r.answer, file: files.sft!.name, line: r.line },
  }));
  let pairs: (Pair & { line: number })[] = dpo.map((r) => ({ prompt: indexOf(r, files.dpo!.name, r.line), chosen: r.chosen, rejected: r.rejected, line: r.line }));
  if (issues.length > 0) throw new DataError(issues);

  // The first demonstration (else the first preferred answer) is the reference of a prompt that has none,
  // so exact match can score SFT- or DPO-only prompts.
  for (const d of demos) entries[d.prompt].item.reference ??= d.answer;
  for (const p of pairs) entries[p.prompt].item.reference ??= p.chosen;

  const keep = Math.min(options.numPrompts ?? entries.length, entries.length);
  if (keep > MAX_PROMPTS) {
    throw DataError.single(kinds.map((k) => files[k]!.name).join(', '), null, `${keep} distinct prompts; the playground supports at most ${MAX_PROMPTS} (set num_prompts to use the first ones)`);
  }
  const kept = entries.slice(0, keep);
  demos = demos.filter((d) => d.prompt < keep);
  pairs = pairs.filter((p) => p.prompt < keep);

  const answers: Sourced[] = [
    ...kept.flatMap((e) => (typeof e.item.reference === 'string' ? [{ text: e.item.reference, file: e.file, line: e.line }] : [])),
    ...demos.map((d) => d.source),
    ...pairs.flatMap((p) => [
      { text: p.chosen, file: files.dpo!.name, line: p.line },
      { text: p.rejected, file: files.dpo!.name, line: p.line },
    ]),
  ];
  const fileNames = kinds.map((k) => files[k]!.name).join(', ');
  const everyPromptAnswered = kept.every((e) => typeof e.item.reference === 'string');
  const vocabulary = options.alphabet
    ? explicitAlphabet(options.alphabet, answers)
    : everyPromptAnswered ? vocabularyOf(answers, fileNames, 'answers') : vocabularyOf([...answers, ...itemTexts(kept)], fileNames, 'items');
  const alphabet = vocabulary.alphabet;
  const maxLen = answers.length > 0 ? answerLength(answers, options.maxLen ?? null) : (options.maxLen ?? unansweredLength(kept));

  if (!options.grader) {
    for (const e of kept) {
      if (typeof e.item.reference !== 'string') {
        issues.push({
          file: e.file,
          line: e.line,
          message:
            'no "reference" field and no demonstration or preferred answer for this prompt, so the default grader ' +
            '(exact match against item.reference) cannot score it; add "reference" or set the task\'s grader',
        });
      }
    }
    if (issues.length > 0) throw new DataError(issues);
  }

  const items = kept.map((e) => e.item);
  const plainDemos: Demo[] = demos.map((d) => ({ prompt: d.prompt, answer: d.answer }));
  const plainPairs: Pair[] = pairs.map((p) => ({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected }));
  const corrupted = corruptDemos(plainDemos, items, plainPairs, maxLen, options);
  const swapped = swapPairs(plainPairs, options);

  const names = kinds.map((k) => files[k]!.name);
  return {
    id: 'custom',
    title: `Custom task (${names.join(', ')})`,
    description: describeTask({ files, items, demos: plainDemos, pairs: plainPairs, alphabet, source: vocabulary.source, maxLen, corrupted, swapped, dropped: entries.length - keep }),
    alphabet,
    maxLen,
    items,
    demos: plainDemos,
    pairs: plainPairs,
    grader: options.grader ?? EXACT_MATCH,
  };
}

/** Where the vocabulary came from, for the task's description. */
type VocabularySource = 'answers' | 'items' | 'alphabet';

/** Every string in an item (its prompt and each string field, nested ones included), for the vocabulary of prompts without answers. */
function itemTexts(entries: readonly PromptEntry[]): Sourced[] {
  const out: Sourced[] = [];
  const walk = (v: unknown, e: PromptEntry): void => {
    if (typeof v === 'string') out.push({ text: v, file: e.file, line: e.line });
    else if (Array.isArray(v)) for (const x of v) walk(x, e);
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) walk(x, e);
  };
  for (const e of entries) {
    const { context_messages: _context, ...fields } = e.item;
    walk(fields, e);
  }
  return out;
}

/** Without answers, max_len fits the longest string field of an item other than its prompt (an "answer"), else the longest prompt; + EOS. */
function unansweredLength(entries: readonly PromptEntry[]): number {
  let longest = 0;
  for (const e of entries) {
    const { prompt, context_messages: _context, ...fields } = e.item;
    const others = itemTexts([{ ...e, item: fields as TaskItem }]).map((t) => Array.from(t.text).length);
    longest = Math.max(longest, others.length ? Math.max(...others) : Array.from(prompt).length);
  }
  return Math.min(MAX_TASK_LEN, Math.max(1, longest) + 1);
}

/** config.task.alphabet: its characters in the order given (repeats dropped); every answer in the files must be writable with it. */
function explicitAlphabet(text: string, answers: Sourced[]): { alphabet: string[]; source: VocabularySource } {
  const alphabet = [...new Set(Array.from(text))];
  if (alphabet.length > MAX_VOCAB - 1) {
    throw DataError.single('config.task.alphabet', null, `${alphabet.length} distinct characters; the playground's vocabulary holds at most ${MAX_VOCAB - 1}`);
  }
  const known = new Set(alphabet);
  const issues: DataIssue[] = [];
  for (const a of answers) {
    const missing = [...new Set(Array.from(a.text).filter((ch) => !known.has(ch)))];
    if (missing.length) {
      issues.push({ file: a.file, line: a.line, message: `answer ${JSON.stringify(a.text)} uses ${missing.map((c) => JSON.stringify(c)).join(' ')}, which task.alphabet does not have; add ${missing.length === 1 ? 'it' : 'them'} to the alphabet` });
    }
  }
  if (issues.length) throw new DataError(issues);
  return { alphabet, source: 'alphabet' };
}

/** Characters in code-point order, so the same data always gives the same token ids. */
function vocabularyOf(texts: Sourced[], fileNames: string, source: VocabularySource): { alphabet: string[]; source: VocabularySource } {
  const chars = new Set<string>();
  for (const a of texts) for (const ch of a.text) chars.add(ch);
  const alphabet = [...chars].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  if (alphabet.length === 0) {
    throw DataError.single(
      fileNames,
      null,
      'the prompts and answers contain no characters, so there is no vocabulary to write with; set the task\'s "alphabet" (the characters answers may use)',
    );
  }
  if (alphabet.length > MAX_VOCAB - 1) {
    const preview = alphabet.slice(0, 24).map((c) => JSON.stringify(c)).join(' ');
    throw DataError.single(
      fileNames,
      null,
      `the ${source === 'answers' ? 'answers' : 'prompts and items'} use ${alphabet.length} distinct characters (${preview}${alphabet.length > 24 ? ' …' : ''}); the playground's vocabulary holds at most ${MAX_VOCAB - 1}; set the task's "alphabet" to the characters answers may use`,
    );
  }
  return { alphabet, source };
}

/** max_len in tokens: the given one, checked against every answer, or the longest answer + EOS. */
function answerLength(answers: Sourced[], requested: number | null): number {
  const limit = requested ?? MAX_TASK_LEN;
  const tooLong = answers.filter((a) => Array.from(a.text).length + 1 > limit);
  if (tooLong.length > 0) {
    const why = requested === null ? `the playground's limit is ${MAX_TASK_LEN} tokens` : `task.max_len is ${requested}`;
    throw new DataError(
      tooLong.map((a) => ({
        file: a.file,
        line: a.line,
        message: `answer ${JSON.stringify(a.text.length > 40 ? a.text.slice(0, 37) + '...' : a.text)} needs ${Array.from(a.text).length + 1} tokens with EOS, but ${why}`,
      })),
    );
  }
  return requested ?? Math.max(...answers.map((a) => Array.from(a.text).length)) + 1;
}

/**
 * demo_error_rate for custom data: the wrong answers are the prompt's own rejected DPO answers, else other
 * prompts' references (plausible in form, wrong in content). Returns how many demonstrations were replaced.
 */
function corruptDemos(demos: Demo[], items: TaskItem[], pairs: Pair[], maxLen: number, opts: TaskOptions): { done: number; wanted: number } {
  const wanted = Math.round(opts.demoErrorRate * demos.length);
  if (wanted === 0) return { done: 0, wanted };
  const references = items.map((it) => (typeof it.reference === 'string' ? it.reference : null));
  const order = permutation(demos.length, opts.seed, Stream.data, 2);
  let done = 0;
  for (let i = 0; i < wanted; i++) {
    const d = demos[order[i]];
    const right = [d.answer, references[d.prompt]];
    const candidates = [...pairs.filter((p) => p.prompt === d.prompt).map((p) => p.rejected), ...references.filter((r): r is string => r !== null)];
    const wrong = [...new Set(candidates)].filter((w) => !right.includes(w) && Array.from(w).length + 1 <= maxLen);
    if (wrong.length === 0) continue;
    d.answer = wrong[Math.floor(drawUnit(opts.seed, Stream.data, 1, order[i], 0) * wrong.length)];
    done++;
  }
  return { done, wanted };
}

function swapPairs(pairs: Pair[], opts: TaskOptions): number {
  const flips = Math.round(opts.preferenceNoise * pairs.length);
  const order = permutation(pairs.length, opts.seed, Stream.data, 3);
  for (let i = 0; i < flips; i++) {
    const p = pairs[order[i]];
    [p.chosen, p.rejected] = [p.rejected, p.chosen];
  }
  return flips;
}

interface Summary {
  files: TaskFileTexts;
  items: TaskItem[];
  demos: Demo[];
  pairs: Pair[];
  alphabet: string[];
  source: VocabularySource;
  maxLen: number;
  corrupted: { done: number; wanted: number };
  swapped: number;
  dropped: number;
}

/** The student-facing description says what came from where, and what each objective can use. */
function describeTask(s: Summary): string {
  const parts: string[] = [];
  const withDemos = new Set(s.demos.map((d) => d.prompt)).size;
  const withPairs = new Set(s.pairs.map((p) => p.prompt)).size;
  const P = s.items.length;
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  parts.push(`Custom task: ${count(P, 'prompt')}.`);
  if (s.files.rft) parts.push(`RFT prompts from ${s.files.rft.name}.`);
  if (s.files.sft) parts.push(`${count(s.demos.length, 'demonstration')} for ${count(withDemos, 'prompt')} from ${s.files.sft.name}.`);
  if (s.files.dpo) parts.push(`${count(s.pairs.length, 'preference pair')} for ${count(withPairs, 'prompt')} from ${s.files.dpo.name}.`);
  if (s.demos.length === 0) parts.push('No demonstrations: SFT needs an SFT file.');
  else if (withDemos < P) parts.push(`${count(P - withDemos, 'prompt has', 'prompts have')} no demonstration: SFT does not train on them, but they are sampled and graded.`);
  if (s.pairs.length === 0) parts.push('No preference pairs: DPO needs a DPO file, or dpo.pairs "online".');
  else if (withPairs < P) parts.push(`${count(P - withPairs, 'prompt has', 'prompts have')} no preference pair: offline DPO does not train on them.`);
  if (s.dropped > 0) parts.push(`num_prompts kept the first ${P}; ${count(s.dropped, 'more prompt in the files is', 'more prompts in the files are')} not used.`);
  if (s.corrupted.wanted > 0) {
    parts.push(`demo_error_rate replaced ${s.corrupted.done} of ${s.demos.length} demonstrations with wrong answers` + (s.corrupted.done < s.corrupted.wanted ? ` (${s.corrupted.wanted} asked; the others had no plausible wrong answer).` : '.'));
  }
  if (s.swapped > 0) parts.push(`preference_noise swapped ${s.swapped} of ${s.pairs.length} pairs.`);
  const from = { answers: 'from the answers', items: 'from the prompts and the items’ fields (not every prompt has an answer)', alphabet: 'from task.alphabet' }[s.source];
  parts.push(`Vocabulary: ${s.alphabet.length} characters ${from}; max_len ${s.maxLen} tokens with EOS.`);
  return parts.join(' ');
}

/** Why a task cannot train with a config's objective, or null when it can. */
export function objectiveProblem(config: Pick<Config, 'objective' | 'dpo'>, task: Task): string | null {
  if (task.items.length === 0) return `task "${task.id}" has no prompts`;
  if (config.objective === 'sft' && task.demos.length === 0) {
    return `task "${task.id}" has no demonstrations: SFT needs an SFT file (task.sft_file), or choose objective "rft"`;
  }
  if (config.objective === 'dpo' && config.dpo.pairs === 'offline' && task.pairs.length === 0) {
    return `task "${task.id}" has no preference pairs: offline DPO needs a DPO file (task.dpo_file), or set dpo.pairs to "online"`;
  }
  return null;
}
