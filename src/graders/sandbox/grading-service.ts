/**
 * What runs inside a grading worker, on both hosts: it builds one grader from
 * its spec and grades chunks of a batch. Templates run here as plain code
 * (they are ours; only their inputs are the user's), custom JS runs in a
 * QuickJS VM (quickjs-sandbox.ts). Either way the work happens off the thread
 * that trains, so a catastrophic regular expression or a runaway loop can only
 * cost this worker, which the host terminates at the time limit.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { TaskItem } from '../../engine/task.ts';
import { buildGrader, jsFields } from '../build.ts';
import type { SpecReader } from '../spec.ts';
import { GraderConfigError, type Grader, type GradeResult, type Sample } from '../types.ts';
import { checkLengths } from '../templates/per-sample.ts';
import type { BatchPayload, ChunkResult, LoadOutcome, SandboxApi, SandboxJob } from './protocol.ts';
import { toPayload } from './protocol.ts';
import { QuickJsSandbox } from './quickjs-sandbox.ts';

/** A chunk that cannot be graded at all (time-out, memory, a broken VM): the worker is done for. */
class ChunkFatal extends Error {}

/** A custom JS grader backed by its own QuickJS VM in this worker. */
class VmGrader implements Grader {
  constructor(
    readonly name: string,
    readonly sandbox: QuickJsSandbox,
  ) {}

  /** The payload's JSON goes to the VM as it arrived: no second parse and stringify. */
  gradeJson(json: string, n: number): string {
    const out = this.sandbox.grade(json, n);
    if ('fatal' in out) throw new ChunkFatal(`grader ${out.fatal}`);
    return out.json;
  }

  async grade(samples: readonly Sample[], items: readonly TaskItem[]): Promise<GradeResult> {
    checkLengths(samples, items);
    const json = this.gradeJson(JSON.stringify(toPayload(samples, items, 0)), samples.length);
    const r = JSON.parse(json) as ChunkResult;
    const failed = new Uint8Array(samples.length);
    for (const i of r.failed) failed[i] = 1;
    return { scores: Float64Array.from(r.scores), errors: r.failed.length, firstError: r.firstError, failed };
  }

  dispose(): void {
    this.sandbox.dispose();
  }
}

function fromPayload(p: BatchPayload): { samples: Sample[]; items: TaskItem[] } {
  return { samples: p.texts.map((output_text) => ({ output_text })), items: p.itemOf.map((j) => p.items[j] as TaskItem) };
}

function toChunkJson(r: GradeResult, n: number): string {
  const failed: number[] = [];
  if (r.failed) r.failed.forEach((f, i) => f && failed.push(i));
  else if (r.errors === n) for (let i = 0; i < n; i++) failed.push(i);
  const out: ChunkResult = { scores: Array.from(r.scores), failed, firstError: r.firstError, errors: r.errors };
  if (r.subScores) out.subScores = Object.fromEntries(Object.entries(r.subScores).map(([k, v]) => [k, Array.from(v)]));
  return JSON.stringify(out);
}

/**
 * The worker's API. `quickJs` provides the VM engine when a spec needs one
 * (custom JS anywhere in it); it is loaded once per worker.
 */
export function gradingService(quickJs: (job: SandboxJob) => Promise<QuickJSWASMModule>): SandboxApi {
  let grader: Grader | null = null;

  return {
    ping: () => true,
    async load(job: SandboxJob): Promise<LoadOutcome> {
      grader?.dispose?.();
      grader = null;
      const module = job.needsVm ? await quickJs(job) : null;
      const vmGrader = (r: SpecReader): Grader => {
        const { name, source, timeoutMs, memoryMb } = jsFields(r);
        if (!module) throw new GraderConfigError(`${r.fieldPath('source')}: the grader sandbox has no JavaScript engine loaded`, r.fieldPath('source'));
        const sandbox = new QuickJsSandbox(module, { timeoutMs, memoryMb });
        const loaded = sandbox.load(source);
        if (!loaded.ok) {
          sandbox.dispose();
          throw new GraderConfigError(loaded.message, r.fieldPath('source'));
        }
        return new VmGrader(name, sandbox);
      };
      try {
        grader = buildGrader(job.spec, job.path, vmGrader);
        return { ok: true };
      } catch (e) {
        if (e instanceof GraderConfigError) return { ok: false, message: e.message, path: e.path };
        throw e;
      }
    },
    async grade(batchJson: string, n: number): Promise<string> {
      if (!grader) throw new Error('grade() before load()');
      try {
        if (grader instanceof VmGrader) return grader.gradeJson(batchJson, n);
        const { samples, items } = fromPayload(JSON.parse(batchJson) as BatchPayload);
        return toChunkJson(await grader.grade(samples, items), n);
      } catch (e) {
        if (e instanceof ChunkFatal) return JSON.stringify({ fatal: e.message });
        throw e;
      }
    },
  };
}
