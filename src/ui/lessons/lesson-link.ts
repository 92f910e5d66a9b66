/**
 * The simple lesson deep link: `#lesson=<id>[&run=<run id>][&seed=<n>][&reveal=1]`.
 * A teacher sends it to open a lesson with its preset loaded, optionally with a
 * fixed seed (every student sees the same run) and results covered until the
 * class has predicted. Parsing never throws: a bad field is dropped and named.
 *
 * Full share links (`#v1=…`, src/share/hash-codec.ts) carry the lesson in
 * `teacher.lesson`; whoever decodes them opens the lesson with the
 * OPEN_LESSON_EVENT below, so this module stays free of the codec (and of zod).
 */
import { LESSON_ID_PATTERN } from '../../share/run-state.ts';

export interface LessonLink {
  lesson: string;
  run: string | null;
  /** Overrides the preset's seed when set. */
  seed: number | null;
  /** Cover claim checks and "what to look for" until someone presses Reveal. */
  reveal: boolean;
  /**
   * Load the lesson's preset run. Always true for `#lesson=` links; false when
   * a share link opens the lesson beside the run it carries itself.
   */
  loadPreset: boolean;
}

export interface ParsedLessonLink {
  /** Null when the hash is not a lesson link at all (empty, a share link, an anchor). */
  link: LessonLink | null;
  problems: string[];
}

/**
 * `window.dispatchEvent(new CustomEvent(OPEN_LESSON_EVENT, { detail: { lesson, loadPreset: false } }))`
 * opens a lesson from anywhere on the page, e.g. a decoded share link's
 * `teacher.lesson` (with `loadPreset: false`: the link's own run stays). Every
 * field but `lesson` is optional; `loadPreset` defaults to true.
 */
export const OPEN_LESSON_EVENT = 'rft-playground:open-lesson';

/** Seeds a link may fix: the config's seed is a u32. */
const MAX_SEED = 0xffff_ffff;

export function parseLessonLink(hash: string): ParsedLessonLink {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!text.startsWith('lesson=')) return { link: null, problems: [] };
  const params = new URLSearchParams(text);
  const problems: string[] = [];
  const lesson = params.get('lesson') ?? '';
  if (!LESSON_ID_PATTERN.test(lesson)) return { link: null, problems: [`lesson link: "${lesson.slice(0, 64)}" is not a lesson id`] };
  const runParam = params.get('run');
  let run: string | null = null;
  if (runParam !== null) {
    if (LESSON_ID_PATTERN.test(runParam)) run = runParam;
    else problems.push(`lesson link: run "${runParam.slice(0, 64)}" is not a run id; the lesson's first run is used`);
  }
  const seedParam = params.get('seed');
  let seed: number | null = null;
  if (seedParam !== null) {
    const n = Number(seedParam);
    if (/^\d+$/.test(seedParam) && n <= MAX_SEED) seed = n;
    else problems.push(`lesson link: seed "${seedParam.slice(0, 32)}" must be a whole number from 0 to ${MAX_SEED}; the preset's seed is used`);
  }
  const revealParam = params.get('reveal');
  if (revealParam !== null && revealParam !== '0' && revealParam !== '1') problems.push(`lesson link: reveal "${revealParam.slice(0, 8)}" must be 0 or 1`);
  return { link: { lesson, run, seed, reveal: revealParam === '1', loadPreset: true }, problems };
}

export function formatLessonLink(link: Omit<LessonLink, 'loadPreset'>): string {
  const params = new URLSearchParams({ lesson: link.lesson });
  if (link.run !== null) params.set('run', link.run);
  if (link.seed !== null) params.set('seed', String(link.seed));
  if (link.reveal) params.set('reveal', '1');
  return `#${params.toString()}`;
}
