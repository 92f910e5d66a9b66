/**
 * The run definition ⇄ the URL hash, so a link reproduces a run exactly.
 *
 * Format: `v1=` + lz-string(JSON of the fields that differ from the defaults).
 * Only differences travel, so a link stays short. The price: a field a link
 * does not set takes the default of the page that opens it, so changing a
 * default changes old links; do that together with a new HASH_VERSION.
 *
 * Decoding never throws and never runs anything: a damaged or hostile hash
 * yields the defaults plus one message per refused field; grader code waits
 * in `pendingCode` until the user has read it and agreed.
 */
// lz-string is CommonJS: Node's ESM loader sees only its default export.
import LZString from 'lz-string';
import { defaultConfig, parseConfig, type Config } from '../engine/config.ts';
import { defaultLanes, defaultTeacher, MAX_LINK_GHOSTS, type GhostLink, type ShareState } from './run-state.ts';
import { cloneJson, describeType, FORBIDDEN_KEYS, hostileStringReason, inspectJson, isPlainObject } from './safe-json.ts';
import { validateConfigFields, validateGhosts, validateLanes, validateTeacher, type PendingCode, type ValidateOptions } from './validate-run.ts';

export const HASH_VERSION = 1;
const PREFIX = `v${HASH_VERSION}=`;
/** Browsers take far longer URLs; this bounds the work a hostile link can cause (lz output can grow quadratically). */
export const MAX_HASH_CHARS = 16_000;
export const MAX_JSON_CHARS = 200_000;

const TOP_FIELDS = ['config', 'lanes', 'teacher', 'ghosts'] as const;

export type HashOptions = Pick<ValidateOptions, 'taskIds' | 'hideIds' | 'lessonIds'>;

export interface DecodedShare {
  /** False for an empty hash or an in-page anchor such as "#main" (a skip link): not ours, nothing to report. */
  isShareLink: boolean;
  /** The run to open: every accepted field over the defaults. Code graders are not in it until accepted. */
  state: ShareState;
  /** One readable line per refused field, e.g. `config.rft.epsilon = -1: must be >= 0`. Show as text. */
  problems: string[];
  /** True when the link carries grader code: show `pendingCode`, start nothing until the user answers. */
  needsConsent: boolean;
  /** Graders carrying code, held out of `state`; `acceptPendingCode` puts them in once the user agrees. */
  pendingCode: PendingCode[];
}

/** Leaves of `value` that differ from `base` (compared as JSON); whole values for non-objects and for records. */
function differences(value: Record<string, unknown>, base: Record<string, unknown>, wholeKeys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    const b = base[key];
    if (!wholeKeys.includes(key) && isPlainObject(v) && isPlainObject(b)) {
      const sub = differences(v, b, []);
      if (Object.keys(sub).length > 0) out[key] = sub;
    } else if (JSON.stringify(v) !== JSON.stringify(b)) {
      out[key] = cloneJson(v);
    }
  }
  return out;
}

export function defaultShareState(): ShareState {
  return { config: defaultConfig(), lanes: defaultLanes(), teacher: defaultTeacher() };
}

/** A config's fields that differ from the defaults. Grader specs and the eval_graders record travel whole: a partial grader would be a different grader. */
function configDiff(config: Config): Record<string, unknown> {
  return differences(config as unknown as Record<string, unknown>, defaultConfig() as unknown as Record<string, unknown>, ['grader', 'eval_graders', 'task']);
}

/**
 * Why a ghost cannot travel in a link, or null: imported data stays on its device, and code graders run
 * from a link only for the main run, after consent.
 */
export function ghostLinkProblem(ghost: GhostLink): string | null {
  if (typeof ghost.config.task !== 'string') return `the ghost “${ghost.label}” trained on imported data, which a link does not carry; it is left out of the link`;
  const graders = [ghost.config.grader, ...Object.values(ghost.config.eval_graders)];
  if (graders.some((g) => g && inspectJson(g, 'grader').code.length > 0)) return `the ghost “${ghost.label}” has a code grader, which a link does not re-run; it is left out of the link`;
  return null;
}

/** The ghosts a link made from this state carries (at most MAX_LINK_GHOSTS, those that can travel). */
function linkGhosts(state: ShareState): GhostLink[] {
  return (state.ghosts ?? []).filter((g) => ghostLinkProblem(g) === null).slice(0, MAX_LINK_GHOSTS);
}

/** The part of a state a link carries: only what differs from the defaults. */
export function shareDiff(state: ShareState): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const config = configDiff(state.config);
  const lanes = differences(state.lanes, defaultLanes(), []);
  const teacher = differences(state.teacher as unknown as Record<string, unknown>, defaultTeacher() as unknown as Record<string, unknown>, ['hide']);
  if (Object.keys(config).length) out.config = config;
  if (Object.keys(lanes).length) out.lanes = lanes;
  if (Object.keys(teacher).length) out.teacher = teacher;
  const ghosts = linkGhosts(state);
  if (ghosts.length) {
    out.ghosts = ghosts.map((g) => {
      const entry: Record<string, unknown> = { label: g.label };
      const c = configDiff(g.config);
      const l = differences(g.lanes, defaultLanes(), []);
      if (Object.keys(c).length) entry.config = c;
      if (Object.keys(l).length) entry.lanes = l;
      return entry;
    });
  }
  return out;
}

/** The hash for a state, without the leading "#": `location.hash = encodeShareHash(state)`. */
export function encodeShareHash(state: ShareState): string {
  return PREFIX + LZString.compressToEncodedURIComponent(JSON.stringify(shareDiff(state)));
}

/** The page's address with the share hash in place of any hash it had. */
export function shareUrl(pageUrl: string, state: ShareState): string {
  const hashAt = pageUrl.indexOf('#');
  return (hashAt === -1 ? pageUrl : pageUrl.slice(0, hashAt)) + '#' + encodeShareHash(state);
}

/**
 * What a link made from this state will not carry as the sender sees it, to
 * say when they copy it: imported data stays on their device, grader code
 * needs the receiver's consent, and an over-long link is refused on opening.
 */
export function linkLimitations(state: ShareState): string[] {
  const notes: string[] = [];
  if (typeof state.config.task !== 'string') {
    notes.push('The imported data is not in the link (it stays on this device); whoever opens it gets the default task.');
  }
  const graders: [string, unknown][] = [['grader', state.config.grader], ...Object.entries(state.config.eval_graders).map(([k, v]): [string, unknown] => [`eval_graders.${k}`, v])];
  for (const [field, spec] of graders) {
    if (spec && inspectJson(spec, field).code.length > 0) notes.push(`The ${field} grader is code: whoever opens the link is shown it and asked before it runs.`);
  }
  for (const g of state.ghosts ?? []) {
    const problem = ghostLinkProblem(g);
    if (problem) notes.push(problem.charAt(0).toUpperCase() + problem.slice(1) + '.');
  }
  const carried = linkGhosts(state);
  if ((state.ghosts ?? []).filter((g) => ghostLinkProblem(g) === null).length > MAX_LINK_GHOSTS) notes.push(`A link names at most ${MAX_LINK_GHOSTS} ghosts; the first ${MAX_LINK_GHOSTS} are in it.`);
  if (carried.length) {
    const steps = carried.reduce((n, g) => n + g.config.steps, 0);
    notes.push(`The link carries the ${carried.length === 1 ? 'ghost’s settings' : `${carried.length} ghosts’ settings`}, not their curves: the page that opens it trains ${carried.length === 1 ? 'it' : 'them'} again (${steps} steps in all) to draw ${carried.length === 1 ? 'it' : 'them'}.`);
  }
  const length = encodeShareHash(state).length;
  if (length > MAX_HASH_CHARS) notes.push(`The link is ${length} characters long, more than the ${MAX_HASH_CHARS} a link can be; it will open with the defaults. Export the config instead.`);
  return notes;
}

function fallback(problem: string): DecodedShare {
  return { isShareLink: true, state: defaultShareState(), problems: [problem], needsConsent: false, pendingCode: [] };
}

/** Reads a hash (with or without "#"). Total: every input gives a usable state and readable problems. */
export function decodeShareHash(hash: string, options: HashOptions = {}): DecodedShare {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const version = /^v(\d{1,6})=/.exec(text);
  if (!version) return { isShareLink: false, state: defaultShareState(), problems: [], needsConsent: false, pendingCode: [] };
  if (Number(version[1]) !== HASH_VERSION) {
    return fallback(`this link is format v${version[1]}, which this version of the playground cannot read (it reads v${HASH_VERSION}); the defaults are open instead`);
  }
  if (text.length > MAX_HASH_CHARS) {
    return fallback(`this link is ${text.length} characters long, more than the ${MAX_HASH_CHARS} a share link can be; the defaults are open instead`);
  }
  let payload = text.slice(version[0].length);
  // Some mail and chat programs percent-encode the hash when they pass a link on.
  if (payload.includes('%')) {
    try {
      payload = decodeURIComponent(payload);
    } catch {
      return fallback('this link is damaged (bad percent-encoding); was it cut off or altered when copied?');
    }
  }
  let json: string | null;
  try {
    json = LZString.decompressFromEncodedURIComponent(payload);
  } catch {
    json = null;
  }
  if (!json) return fallback('this link is damaged (it does not decompress); was it cut off when copied?');
  if (json.length > MAX_JSON_CHARS) return fallback(`this link unpacks to ${json.length} characters, more than the limit of ${MAX_JSON_CHARS}`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return fallback(`this link is damaged (its content is not valid JSON: ${(e as Error).message}); was it cut off when copied?`);
  }
  return decodeShareObject(raw, options);
}

/** Field-by-field validation of an already-parsed link object (exported for tests and for pasted JSON). */
export function decodeShareObject(raw: unknown, options: HashOptions = {}): DecodedShare {
  if (!isPlainObject(raw)) return fallback(`the link must hold an object with ${TOP_FIELDS.join(', ')}, not ${describeType(raw)}`);
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (FORBIDDEN_KEYS.has(key)) problems.push(`${key}: the key "${key}" is not allowed`);
    else if (!(TOP_FIELDS as readonly string[]).includes(key)) {
      const name = hostileStringReason(key) ? '(a key with markup)' : key;
      problems.push(`${name}: unknown part of the link (allowed: ${TOP_FIELDS.join(', ')})`);
    }
  }
  const config = validateConfigFields(raw.config, { ...options, fromLink: true });
  const lanes = validateLanes(raw.lanes);
  const teacher = validateTeacher(raw.teacher, options);
  const ghosts = validateGhosts(raw.ghosts, options);
  return {
    isShareLink: true,
    // `ghosts` only when the link names some, so a link without them reads back exactly as it was made.
    state: { config: config.config, lanes: lanes.lanes, teacher: teacher.teacher, ...(ghosts.ghosts.length ? { ghosts: ghosts.ghosts } : {}) },
    problems: [...problems, ...config.problems, ...lanes.problems, ...teacher.problems, ...ghosts.problems],
    needsConsent: config.pending.length > 0,
    pendingCode: config.pending,
  };
}

/**
 * The state with the graders the user agreed to run put in place. Each is
 * checked by the engine's schema; one that does not fit is reported and left out.
 */
export function acceptPendingCode(state: ShareState, pending: readonly PendingCode[]): { state: ShareState; problems: string[] } {
  let config: Config = state.config;
  const problems: string[] = [];
  for (const p of pending) {
    const next = cloneJson(config) as unknown as Record<string, unknown>;
    const [head, name] = p.field.split('.');
    if (head === 'grader') next.grader = cloneJson(p.spec);
    else if (head === 'eval_graders' && name !== undefined && !FORBIDDEN_KEYS.has(name)) {
      next.eval_graders = { ...(next.eval_graders as Record<string, unknown>), [name]: cloneJson(p.spec) };
    } else {
      problems.push(`${p.field}: not a grader field`);
      continue;
    }
    const parsed = parseConfig(next);
    if (parsed.ok) config = parsed.config;
    else problems.push(...parsed.errors.map((e) => e.message));
  }
  return { state: { ...state, config }, problems };
}
