/**
 * Reading a grader spec field by field. Every complaint names the field's full
 * path ("grader.graders.fuzzy.evaluation_metric"), because a grader often arrives
 * nested in a config or a shared link and the student must find the bad field.
 */
import type { GraderSpec } from '../engine/task.ts';
import { GraderConfigError } from './types.ts';

/** A spec plus where it sits in the config, with typed field readers. */
export class SpecReader {
  constructor(
    readonly spec: GraderSpec,
    readonly path: string,
  ) {}

  fieldPath(field: string): string {
    return `${this.path}.${field}`;
  }

  fail(field: string, value: unknown, why: string): never {
    throw new GraderConfigError(`${this.fieldPath(field)} = ${show(value)}: ${why}`, this.fieldPath(field));
  }

  has(field: string): boolean {
    return this.spec[field] !== undefined;
  }

  string(field: string, fallback: string): string {
    const v = this.spec[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.fail(field, v, 'must be a string');
    return v;
  }

  optionalString(field: string): string | undefined {
    return this.has(field) ? this.string(field, '') : undefined;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const v = this.spec[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(field, v, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    }
    return v as T;
  }

  number(field: string, fallback: number, range: { min?: number; max?: number; integer?: boolean } = {}): number {
    const v = this.spec[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, v, 'must be a finite number');
    if (range.integer && !Number.isInteger(v)) this.fail(field, v, 'must be a whole number');
    if (range.min !== undefined && v < range.min) this.fail(field, v, `must be at least ${range.min}`);
    if (range.max !== undefined && v > range.max) this.fail(field, v, `must be at most ${range.max}`);
    return v;
  }

  optionalNumber(field: string, range: { min?: number; max?: number } = {}): number | undefined {
    return this.has(field) ? this.number(field, 0, range) : undefined;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.spec[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.fail(field, v, 'must be true or false');
    return v;
  }

  /** A `{ name: spec }` object, as in OpenAI's multi grader. */
  specMap(field: string): Record<string, GraderSpec> {
    const v = this.spec[field];
    if (v === undefined) this.fail(field, v, 'is required');
    if (!isPlainObject(v)) this.fail(field, v, 'must be an object of named graders, e.g. {"exact": {"type": "string_check", ...}}');
    return v as Record<string, GraderSpec>;
  }

  /**
   * Rejects fields the grader does not know, so a typo ("operaton") is an error
   * instead of a silently ignored setting.
   */
  onlyFields(known: readonly string[]): void {
    const all = [...known, ...COMMON_FIELDS];
    for (const key of Object.keys(this.spec)) {
      if (all.includes(key)) continue;
      const near = all.find((k) => closeSpelling(k, key));
      throw new GraderConfigError(
        `${this.fieldPath(key)}: unknown field for a ${this.spec.type} grader` +
          (near ? ` (did you mean "${near}"?)` : ` (known fields: ${known.join(', ')})`),
        this.fieldPath(key),
      );
    }
  }

  /** The grader's display name: its `name` field, or a description of it. */
  name(fallback: string): string {
    return this.string('name', fallback);
  }
}

/** Fields every grader accepts: `type`, a display `name`, and a free-text `description`. */
const COMMON_FIELDS = ['type', 'name', 'description'];

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  const text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One edit apart or a swap of neighbours: close enough to suggest. */
function closeSpelling(a: string, b: string): boolean {
  if (a === b) return false;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const restA = a.slice(i);
  const restB = b.slice(i);
  return (
    restA.slice(1) === restB.slice(1) ||
    restA.slice(1) === restB ||
    restA === restB.slice(1) ||
    (restA.length >= 2 && restA[0] === restB[1] && restA[1] === restB[0] && restA.slice(2) === restB.slice(2))
  );
}
