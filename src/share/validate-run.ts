/**
 * Field-by-field validation of a run that came from outside (a link, a save).
 * Every field is checked on its own: a bad one is dropped with a message naming
 * it and the rest still apply over the defaults, so one typo in a shared link
 * costs that knob, not the whole lesson. The engine's own schema
 * (`parseConfig`) has the last word on every value, so a link can never hold a
 * config the headless trainer would refuse.
 */
import { defaultConfig, parseConfig, type Config } from '../engine/config.ts';
import type { GraderSpec } from '../engine/task.ts';
import { taskIds } from '../tasks/index.ts';
import {
  defaultLanes,
  defaultTeacher,
  HIDE_ID_PATTERN,
  LANE_IDS,
  LESSON_ID_PATTERN,
  MAX_GHOST_LABEL_CHARS,
  MAX_HIDDEN,
  MAX_LINK_GHOSTS,
  type GhostLink,
  type LaneSwitches,
  type TeacherOptions,
} from './run-state.ts';
import { cloneJson, codeWarnings, describeType, FORBIDDEN_KEYS, hostileStringReason, inspectJson, isPlainObject, showValue, type CodeField } from './safe-json.ts';

/** A grader from outside that carries a program: shown to the user, run only after they agree. */
export interface PendingCode {
  /** Where the grader goes: "grader" or "eval_graders.<name>". */
  field: string;
  /** The whole grader spec, exactly as it came. */
  spec: GraderSpec;
  /** Every program inside it (a multi grader may hold several). */
  code: CodeField[];
  /** Things to point out next to the code, e.g. invisible bidirectional characters. */
  warnings: string[];
}

export interface ValidateOptions {
  /** Built-in task ids a link may name; defaults to the task library's. */
  taskIds?: readonly string[];
  /**
   * Values from a link: code graders wait for consent and markup-like strings
   * are refused. Values the user saved on this device are their own work and
   * are only refused when they cannot be a valid run.
   */
  fromLink: boolean;
  /** Ids the page can hide; when given, other ids are refused by name. */
  hideIds?: readonly string[];
  /** Lesson ids that exist; when given, others are refused by name. */
  lessonIds?: readonly string[];
}

export interface ConfigFields {
  config: Config;
  problems: string[];
  pending: PendingCode[];
}

/** Sections of the config whose fields are validated one by one (objects in the defaults, except the eval_graders record). */
function sectionNames(defaults: Config): string[] {
  return Object.keys(defaults).filter((k) => k !== 'eval_graders' && isPlainObject((defaults as Record<string, unknown>)[k]));
}

interface Leaf {
  path: string[];
  value: unknown;
}

const dotted = (path: readonly string[]) => ['config', ...path].join('.');

function setLeaf(config: Config, leaf: Leaf): Record<string, unknown> {
  const next = cloneJson(config) as unknown as Record<string, unknown>;
  let obj = next;
  for (const key of leaf.path.slice(0, -1)) {
    if (!isPlainObject(obj[key])) obj[key] = {};
    obj = obj[key] as Record<string, unknown>;
  }
  obj[leaf.path[leaf.path.length - 1]] = cloneJson(leaf.value);
  return next;
}

/** Splits raw config JSON into leaves, refusing unknown and forbidden keys by name. */
function collectLeaves(raw: Record<string, unknown>, defaults: Config, problems: string[]): Leaf[] {
  const leaves: Leaf[] = [];
  const sections = sectionNames(defaults);
  const topKeys = Object.keys(defaults);
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (FORBIDDEN_KEYS.has(key)) {
      problems.push(`${dotted([key])}: the key "${key}" is not allowed`);
    } else if (sections.includes(key)) {
      if (!isPlainObject(value)) {
        problems.push(`${dotted([key])} = ${showValue(value)}: must be an object, not ${describeType(value)}`);
        continue;
      }
      const known = Object.keys((defaults as unknown as Record<string, Record<string, unknown>>)[key]);
      for (const sub of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(sub)) problems.push(`${dotted([key, sub])}: the key "${sub}" is not allowed`);
        else if (!known.includes(sub)) problems.push(unknownField([key, sub], known));
        else leaves.push({ path: [key, sub], value: value[sub] });
      }
    } else if (key === 'eval_graders') {
      if (!isPlainObject(value)) {
        problems.push(`${dotted([key])} = ${showValue(value)}: must be an object of named graders, not ${describeType(value)}`);
        continue;
      }
      // The record travels whole (see shareDiff): it replaces the default's graders rather than adding to them.
      leaves.push({ path: [key], value: {} });
      for (const name of Object.keys(value)) {
        if (FORBIDDEN_KEYS.has(name)) problems.push(`${dotted([key, name])}: the key "${name}" is not allowed`);
        else leaves.push({ path: [key, name], value: value[name] });
      }
    } else if (topKeys.includes(key)) {
      leaves.push({ path: [key], value });
    } else {
      problems.push(unknownField([key], topKeys));
    }
  }
  return leaves;
}

function unknownField(path: string[], known: string[]): string {
  const shown = hostileStringReason(path[path.length - 1]) ? ['config', ...path.slice(0, -1), '(a key with markup)'].join('.') : dotted(path);
  return `${shown}: unknown field` + (known.length ? ` (allowed: ${known.join(', ')})` : '');
}

/**
 * Checks the kinds of value the schema cannot judge: which task ids exist,
 * whether task files may come from here, and hostile strings or code inside
 * grader specs. Returns a problem, "pending" for code awaiting consent, or null.
 */
function precheck(leaf: Leaf, opts: ValidateOptions, pending: PendingCode[]): string | null {
  const [head] = leaf.path;
  const where = dotted(leaf.path);
  if (head === 'eval_graders' && leaf.path.length > 1 && opts.fromLink) {
    const reason = hostileStringReason(leaf.path[1]);
    if (reason) return `config.eval_graders: a grader name ${reason}`;
  }
  // Every string anywhere in the value is checked, so no later message can echo markup.
  const inspection = inspectJson(leaf.value, where, opts.fromLink);
  if (inspection.problem) return inspection.problem;
  if (head === 'task') {
    if (typeof leaf.value === 'string') {
      const ids = opts.taskIds ?? taskIds();
      if (!ids.includes(leaf.value)) return `${where} = ${showValue(leaf.value)}: unknown task (built-in tasks: ${ids.join(', ')})`;
    } else if (isPlainObject(leaf.value) && opts.fromLink) {
      // Task files name data imported on one device; the link does not carry that data.
      return `${where}: a link can only name a built-in task; imported data stays on the device that imported it`;
    }
    return null;
  }
  const isGrader = head === 'grader' || head === 'eval_graders';
  if (isGrader && isPlainObject(leaf.value) && inspection.code.length > 0 && opts.fromLink) {
    if (typeof leaf.value.type !== 'string') return `${where}.type = ${showValue(leaf.value.type)}: must be a string`;
    pending.push({
      field: leaf.path.join('.'),
      spec: cloneJson(leaf.value) as GraderSpec,
      code: inspection.code,
      warnings: inspection.code.flatMap((c) => codeWarnings(c.code).map((w) => `${c.path} ${w}`)),
    });
    return 'pending';
  }
  return null;
}

/**
 * Applies each field of `raw` over the defaults, keeping every field the
 * engine's schema accepts. Fields that only make sense together (e.g.
 * num_generations 1 with advantage "reinforce") are retried until no more can
 * apply, so the result does not depend on key order.
 */
export function validateConfigFields(raw: unknown, opts: ValidateOptions): ConfigFields {
  const defaults = defaultConfig();
  const problems: string[] = [];
  const pending: PendingCode[] = [];
  if (raw === undefined) return { config: defaults, problems, pending };
  if (!isPlainObject(raw)) {
    problems.push(`config = ${showValue(raw)}: must be an object, not ${describeType(raw)}`);
    return { config: defaults, problems, pending };
  }
  let waiting: Leaf[] = [];
  for (const leaf of collectLeaves(raw, defaults, problems)) {
    const verdict = precheck(leaf, opts, pending);
    if (verdict === null) waiting.push(leaf);
    else if (verdict !== 'pending') problems.push(verdict);
  }

  let config = defaults;
  const all = waiting.reduce<Record<string, unknown>>((acc, leaf) => setLeaf(acc as unknown as Config, leaf), config as unknown as Record<string, unknown>);
  const whole = parseConfig(all);
  if (whole.ok) return { config: whole.config, problems, pending };

  for (let progress = true; progress && waiting.length > 0; ) {
    progress = false;
    const stillWaiting: Leaf[] = [];
    for (const leaf of waiting) {
      const trial = parseConfig(setLeaf(config, leaf));
      if (trial.ok) {
        config = trial.config;
        progress = true;
      } else {
        stillWaiting.push(leaf);
      }
    }
    waiting = stillWaiting;
  }
  for (const leaf of waiting) {
    const trial = parseConfig(setLeaf(config, leaf));
    if (trial.ok) continue;
    const where = dotted(leaf.path);
    for (const e of trial.errors) {
      // A cross-field rule may name the other field; say which one was dropped.
      const aboutLeaf = e.path === where || e.path.startsWith(where + '.');
      problems.push(aboutLeaf ? e.message : `${where} = ${showValue(leaf.value)}: not applied, because ${e.message}`);
    }
  }
  return { config, problems, pending };
}

/** Lane switches: booleans by lane id; anything else is named and dropped. */
export function validateLanes(raw: unknown, root = 'lanes'): { lanes: LaneSwitches; problems: string[] } {
  const lanes = defaultLanes();
  const problems: string[] = [];
  if (raw === undefined) return { lanes, problems };
  if (!isPlainObject(raw)) return { lanes, problems: [`${root} = ${showValue(raw)}: must be an object, not ${describeType(raw)}`] };
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (FORBIDDEN_KEYS.has(key)) problems.push(`${root}.${key}: the key "${key}" is not allowed`);
    else if (!(LANE_IDS as readonly string[]).includes(key)) problems.push(`${root}.${safeKey(key)}: unknown lane (lanes: ${LANE_IDS.join(', ')})`);
    else if (typeof value !== 'boolean') problems.push(`${root}.${key} = ${showValue(value)}: must be a boolean, not ${describeType(value)}`);
    else lanes[key as keyof LaneSwitches] = value;
  }
  return { lanes, problems };
}

function safeKey(key: string): string {
  return hostileStringReason(key) ? '(a key with markup)' : key;
}

/** Teacher options: each one checked on its own. */
export function validateTeacher(raw: unknown, opts: Pick<ValidateOptions, 'hideIds' | 'lessonIds'>, root = 'teacher'): { teacher: TeacherOptions; problems: string[] } {
  const teacher = defaultTeacher();
  const problems: string[] = [];
  if (raw === undefined) return { teacher, problems };
  if (!isPlainObject(raw)) return { teacher, problems: [`${root} = ${showValue(raw)}: must be an object, not ${describeType(raw)}`] };
  const known = Object.keys(teacher);
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    const where = `${root}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) problems.push(`${where}: the key "${key}" is not allowed`);
    else if (!known.includes(key)) problems.push(`${root}.${safeKey(key)}: unknown field (allowed: ${known.join(', ')})`);
    else if (key === 'paused' || key === 'reveal' || key === 'presentation') {
      if (typeof value === 'boolean') teacher[key] = value;
      else problems.push(`${where} = ${showValue(value)}: must be a boolean, not ${describeType(value)}`);
    } else if (key === 'lesson') {
      const problem = checkId(value, where, LESSON_ID_PATTERN, opts.lessonIds, 'lesson', true);
      if (problem) problems.push(problem);
      else teacher.lesson = value as string | null;
    } else if (key === 'hide') {
      if (!Array.isArray(value)) {
        problems.push(`${where} = ${showValue(value)}: must be an array of control ids, not ${describeType(value)}`);
        continue;
      }
      if (value.length > MAX_HIDDEN) problems.push(`${where}: ${value.length} ids is more than the limit of ${MAX_HIDDEN}; the first ${MAX_HIDDEN} apply`);
      for (const [i, id] of value.slice(0, MAX_HIDDEN).entries()) {
        const problem = checkId(id, `${where}.${i}`, HIDE_ID_PATTERN, opts.hideIds, 'control', false);
        if (problem) problems.push(problem);
        else if (teacher.hide.includes(id as string)) problems.push(`${where}.${i} = ${showValue(id)}: listed twice`);
        else teacher.hide.push(id as string);
      }
    }
  }
  return { teacher, problems };
}

function checkId(value: unknown, where: string, pattern: RegExp, known: readonly string[] | undefined, what: string, nullable: boolean): string | null {
  if (nullable && value === null) return null;
  if (typeof value !== 'string') return `${where} = ${showValue(value)}: must be a string${nullable ? ' or null' : ''}, not ${describeType(value)}`;
  if (!pattern.test(value)) {
    const shown = hostileStringReason(value) ? '(a value with markup)' : showValue(value);
    return `${where} = ${shown}: must be a ${what} id (lower-case letters, digits, "-", "_"${what === 'control' ? ', "."' : ''}; at most 64)`;
  }
  if (known && !known.includes(value)) return `${where} = ${showValue(value)}: unknown ${what} (known: ${known.join(', ')})`;
  return null;
}

const GHOST_FIELDS = ['label', 'config', 'lanes'] as const;

/**
 * A link's ghosts, each checked on its own. A ghost is a claim about an experiment ("this is the run with
 * β 0.5"), so one whose label, config or lanes has any problem is left out whole, with the reasons, rather
 * than re-run with a default in place of the bad field; the other ghosts and the rest of the link still load.
 * A ghost whose grader is code is left out too: code from a link runs only after consent, for the main run.
 */
export function validateGhosts(raw: unknown, opts: Omit<ValidateOptions, 'fromLink'>, root = 'ghosts'): { ghosts: GhostLink[]; problems: string[] } {
  const ghosts: GhostLink[] = [];
  const problems: string[] = [];
  if (raw === undefined) return { ghosts, problems };
  if (!Array.isArray(raw)) return { ghosts, problems: [`${root} = ${showValue(raw)}: must be an array of earlier runs ({label, config, lanes}), not ${describeType(raw)}; no ghosts are rebuilt`] };
  if (raw.length > MAX_LINK_GHOSTS) problems.push(`${root}: ${raw.length} ghosts is more than the ${MAX_LINK_GHOSTS} the page keeps; the first ${MAX_LINK_GHOSTS} are rebuilt`);
  raw.slice(0, MAX_LINK_GHOSTS).forEach((entry, i) => {
    const where = `${root}.${i}`;
    if (!isPlainObject(entry)) {
      problems.push(`${where} = ${showValue(entry)}: must be an object with ${GHOST_FIELDS.join(', ')}, not ${describeType(entry)}; this ghost is left out`);
      return;
    }
    const own: string[] = [];
    for (const key of Object.keys(entry)) {
      if (FORBIDDEN_KEYS.has(key)) own.push(`${where}.${key}: the key "${key}" is not allowed`);
      else if (!(GHOST_FIELDS as readonly string[]).includes(key)) own.push(`${where}.${safeKey(key)}: unknown field (allowed: ${GHOST_FIELDS.join(', ')})`);
    }
    const label = entry.label;
    let name = `ghost ${i + 1}`;
    if (typeof label !== 'string' || label.trim() === '') own.push(`${where}.label = ${showValue(label)}: must be a non-empty string (what the ghost is called on the charts)`);
    else if (label.length > MAX_GHOST_LABEL_CHARS) own.push(`${where}.label: ${label.length} characters is more than the ${MAX_GHOST_LABEL_CHARS} a ghost's name can be`);
    else {
      const reason = hostileStringReason(label);
      if (reason) own.push(`${where}.label: the name ${reason}`);
      else name = `“${label}”`;
    }
    const config = validateConfigFields(entry.config ?? {}, { ...opts, fromLink: true });
    own.push(...config.problems.map((p) => `${where}.${p}`));
    if (config.pending.length) own.push(`${where}.config.${config.pending[0].field}: a ghost's grader may not be code (a link runs code only for its main run, after asking)`);
    const lanes = validateLanes(entry.lanes, `${where}.lanes`);
    own.push(...lanes.problems);
    if (own.length) {
      problems.push(`${where} (${name}) is left out: ${own.join('; ')}`);
      return;
    }
    ghosts.push({ label: (label as string).trim(), config: config.config, lanes: lanes.lanes });
  });
  return { ghosts, problems };
}
