/**
 * Keeps a run going when the GPU device is lost mid-run (driver reset, tab in
 * the background too long, `device.destroy()` in tests). Wraps a backend and
 * keeps the last state read back from it plus every update request since; on
 * a DeviceLostError it builds a replacement (a new device, or the CPU), writes
 * the synced state and replays the requests. Sampling is counter-based and the
 * updates are deterministic, so the continued run is the uninterrupted one
 * (bit for bit on a new GPU device; within float rounding on the CPU).
 *
 * The periodic state sync is queued in front of an update, so it rides in
 * that step's submit and readback: no extra round trip.
 */
import type { Backend, TokenBatch, UpdateHyper, UpdateRequest, UpdateStats } from '../engine/backend.ts';
import { cloneState, type PolicyParameters, type PolicyState } from '../engine/policy.ts';
import type { StreamId } from '../engine/prng.ts';
import { DeviceLostError } from './webgpu-backend.ts';

export interface ResilientOptions {
  /** Builds the backend to continue on, already holding `state`. */
  replace(state: PolicyState): Promise<Backend>;
  /** Updates between state syncs; bounds the replay journal (memory and replay time). Default 25. */
  syncEvery?: number;
  /** Told when the run moved to another backend, e.g. "WebGPU device lost (...); continuing on cpu". */
  onNotice?(message: string): void;
}

interface JournalEntry {
  step: number;
  request: UpdateRequest;
  hyper: UpdateHyper;
}

/** Replacements tried in a row before giving up (each may itself be lost while replaying). */
const MAX_RECOVERIES = 3;

export class ResilientBackend implements Backend {
  private inner: Backend;
  private synced: PolicyState;
  private journal: JournalEntry[] = [];
  private syncPending = false;
  /** Bumped on every recovery, so a sync issued to a lost backend is ignored. */
  private generation = 0;
  private recovering: Promise<Map<JournalEntry, UpdateStats>> | null = null;
  private readonly syncEvery: number;

  constructor(
    inner: Backend,
    initial: PolicyState,
    private readonly options: ResilientOptions,
  ) {
    this.inner = inner;
    this.synced = cloneState(initial);
    this.syncEvery = options.syncEvery ?? 25;
  }

  get label(): string {
    return this.inner.label;
  }

  get kind(): 'cpu' | 'webgpu' {
    return this.inner.kind;
  }

  /** The backend currently doing the work. */
  get current(): Backend {
    return this.inner;
  }

  sample(step: number, stream: StreamId, promptOf: Int32Array, temperature: number, seed: number): Promise<TokenBatch> {
    return this.retrying(() => this.inner.sample(step, stream, promptOf, temperature, seed));
  }

  update(step: number, request: UpdateRequest, hyper: UpdateHyper): Promise<UpdateStats> {
    if (this.journal.length >= this.syncEvery && !this.syncPending) this.startSync();
    const entry: JournalEntry = { step, request, hyper };
    this.journal.push(entry);
    return this.inner.update(step, request, hyper).catch(async (e: unknown) => {
      if (!(e instanceof DeviceLostError)) throw e;
      const replayed = await this.recover(e);
      const stats = replayed.get(entry);
      if (!stats) throw e;
      return stats;
    });
  }

  readState(): Promise<PolicyState> {
    return this.retrying(() => this.inner.readState());
  }

  readPolicy(): Promise<PolicyParameters> {
    return this.retrying(() => this.inner.readPolicy());
  }

  async writeState(state: PolicyState): Promise<void> {
    await this.inner.writeState(state);
    this.synced = cloneState(state);
    this.journal = [];
    this.generation++;
  }

  dispose(): void {
    this.inner.dispose();
  }

  /**
   * Runs an operation that changes no state (sample, readState); after a
   * device loss, recovers and runs it again on the replacement, a bounded
   * number of times. The first call is made synchronously, so a sample still
   * joins the submit of an update queued just before it.
   */
  private retrying<T>(operation: () => Promise<T>, attempt = 0): Promise<T> {
    return operation().catch(async (e: unknown) => {
      if (!(e instanceof DeviceLostError) || attempt >= MAX_RECOVERIES) throw e;
      await this.recover(e);
      return this.retrying(operation, attempt + 1);
    });
  }

  private startSync(): void {
    const covered = this.journal.length;
    const generation = this.generation;
    this.syncPending = true;
    this.inner
      .readState()
      .then(
        (state) => {
          if (generation !== this.generation) return;
          this.synced = state;
          this.journal.splice(0, covered);
        },
        () => {}, // a lost device fails the sync too; the recovery replays from the previous one
      )
      .finally(() => {
        this.syncPending = false;
      });
  }

  /** Replacement backend from the synced state, journal replayed; the replayed stats by entry. */
  private recover(cause: Error): Promise<Map<JournalEntry, UpdateStats>> {
    this.recovering ??= (async () => {
      this.generation++;
      let lastError: unknown = cause;
      for (let attempt = 0; attempt < MAX_RECOVERIES; attempt++) {
        try {
          this.inner.dispose();
        } catch {
          // the lost backend may already be unusable; nothing to release
        }
        const replacement = await this.options.replace(cloneState(this.synced));
        this.inner = replacement;
        try {
          const results = new Map<JournalEntry, UpdateStats>();
          for (const entry of this.journal) results.set(entry, await replacement.update(entry.step, entry.request, entry.hyper));
          this.options.onNotice?.(`${cause.message}; continuing on ${replacement.label} from the last synced state (${this.journal.length} updates replayed)`);
          return results;
        } catch (e) {
          if (!(e instanceof DeviceLostError)) throw e;
          lastError = e;
        }
      }
      throw lastError;
    })().finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }
}
