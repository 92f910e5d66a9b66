/**
 * One custom JS grader inside a QuickJS virtual machine (QuickJS compiled to
 * WebAssembly, via quickjs-emscripten). This is the isolation boundary for
 * grader code on every host: the code runs in another engine whose heap is the
 * wasm module's memory, so no object it can reach leads to the host's realm,
 * and the VM offers nothing but the language itself (no network, storage,
 * timers, modules, workers or `postMessage`).
 *
 * The limits are the VM's own: an interrupt handler stops the code at its
 * deadline (an uncatchable "interrupted"), the runtime refuses allocations past
 * `memoryMb`, and a bounded stack turns deep recursion into a RangeError inside
 * the VM. Runs synchronously in a grading worker (node-worker.mjs,
 * browser.worker.ts), so the thread that trains never waits on it, and the
 * worker is the second wall: the host terminates it if it ever overstays.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { LoadOutcome } from './protocol.ts';
import { GRADER_FILENAME, MESSAGE_CAP, PRELUDE_SOURCE, RUNNER_SOURCE, SOURCE_SUFFIX } from './runner-source.ts';

/**
 * The VM's own stack limit. The interpreter's wasm frames also use the host's
 * native stack, which is smaller in a browser worker than in Node; at this
 * size the VM runs out first on both (a RangeError the grader can catch), and
 * a grader may still recurse ~200 deep through native callbacks, far deeper
 * when plain. Past that, the host's trap is caught too (`guard`).
 */
const VM_STACK_BYTES = 128 * 1024;

export interface QuickJsLimits {
  timeoutMs: number;
  memoryMb: number;
}

/** A chunk's result as JSON text, or why the whole chunk failed (the worker is then discarded). */
export type VmOutcome = { json: string } | { fatal: string };

function capped(text: string): string {
  return text.length > MESSAGE_CAP ? `${text.slice(0, MESSAGE_CAP - 3)}...` : text;
}

export class QuickJsSandbox {
  private readonly runtime: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private readonly runner: QuickJSHandle;
  private deadline = 0;
  /** Set when the host trapped mid-VM: the wasm state is then unknown, and nothing more is asked of it. */
  private broken = false;

  constructor(
    module: QuickJSWASMModule,
    private readonly limits: QuickJsLimits,
  ) {
    this.runtime = module.newRuntime();
    this.runtime.setMemoryLimit(limits.memoryMb * 1024 * 1024);
    this.runtime.setMaxStackSize(VM_STACK_BYTES);
    this.runtime.setInterruptHandler(() => Date.now() > this.deadline);
    this.vm = this.runtime.newContext();
    this.deadline = Date.now() + 10_000;
    this.vm.unwrapResult(this.vm.evalCode(PRELUDE_SOURCE, 'sandbox-prelude.js')).dispose();
    this.runner = this.vm.unwrapResult(this.vm.evalCode(`(${RUNNER_SOURCE})()`, 'sandbox-runner.js'));
  }

  /** Runs the user's top-level code and finds `grade`. */
  load(source: string): LoadOutcome {
    const { vm } = this;
    this.deadline = Date.now() + this.limits.timeoutMs;
    const ran = this.guard(() => vm.evalCode(source + SOURCE_SUFFIX, GRADER_FILENAME));
    if ('fatal' in ran) return { ok: false, message: `grader ${ran.fatal} while loading (its top-level code)` };
    const result = ran.value;
    if (result.error) {
      const error = this.readError(result.error);
      result.error.dispose();
      if (error.kind === 'interrupted') return { ok: false, message: `grader timed out while loading (its top-level code ran longer than ${this.limits.timeoutMs} ms)` };
      if (error.kind === 'memory') return { ok: false, message: `grader ran out of memory while loading (limit ${this.limits.memoryMb} MB)` };
      if (error.name === 'SyntaxError') return { ok: false, message: `grader has a syntax error${error.where}: SyntaxError: ${error.message}` };
      return { ok: false, message: `grader failed while loading (top-level code)${error.where}: ${error.name}: ${error.message}` };
    }
    result.value.dispose();
    // Promise callbacks queued by the top-level code settle now, still under the deadline (grading itself is synchronous).
    const jobs = this.guard(() => this.runtime.executePendingJobs(-1));
    if ('fatal' in jobs) return { ok: false, message: `grader ${jobs.fatal} while loading (its top-level code)` };
    if (jobs.value.error) {
      const error = this.readError(jobs.value.error);
      jobs.value.error.dispose();
      if (error.kind === 'interrupted') return { ok: false, message: `grader timed out while loading (its top-level code ran longer than ${this.limits.timeoutMs} ms)` };
      if (error.kind === 'memory') return { ok: false, message: `grader ran out of memory while loading (limit ${this.limits.memoryMb} MB)` };
    } else {
      jobs.value.dispose?.();
    }
    const took = this.call('take', []);
    const found = 'json' in took && took.json === 'true';
    if (!found) return { ok: false, message: 'the grader must define a function named grade, e.g. function grade(sample, item) { return 1; }' };
    return { ok: true };
  }

  /** Grades one chunk (BatchPayload JSON in); `expected` bounds the size of the answer it will accept. */
  grade(batchJson: string, expected: number): VmOutcome {
    this.deadline = Date.now() + this.limits.timeoutMs;
    return this.call('run', [batchJson], expected * 32 + 4 * MESSAGE_CAP);
  }

  dispose(): void {
    if (this.broken) return;
    try {
      this.runner.dispose();
      this.vm.dispose();
      this.runtime.dispose();
    } catch {
      // A VM that trapped cannot be taken apart cleanly; its worker is discarded anyway.
    }
  }

  /** Calls runner[method](...args); a string result comes back as `json`. */
  private call(method: string, args: string[], maxLength = 1 << 20): VmOutcome {
    const { vm } = this;
    const ran = this.guard(() => {
      const fn = vm.getProp(this.runner, method);
      const handles = args.map((a) => vm.newString(a));
      try {
        return vm.callFunction(fn, this.runner, ...handles);
      } finally {
        fn.dispose();
        for (const h of handles) h.dispose();
      }
    });
    if ('fatal' in ran) return ran;
    const result = ran.value;
    if (result.error) {
      const error = this.readError(result.error);
      result.error.dispose();
      if (error.kind === 'interrupted') return { fatal: `timed out on sample ${this.currentSample()}` };
      if (error.kind === 'memory') return { fatal: `ran out of memory (limit ${this.limits.memoryMb} MB) on sample ${this.currentSample()}` };
      return { fatal: `broke the grader sandbox's runner (${error.name}: ${error.message})` };
    }
    const value = result.value;
    try {
      if (vm.typeof(value) === 'boolean') return { json: String(vm.dump(value)) };
      if (vm.typeof(value) !== 'string') return { fatal: 'broke the grader sandbox\'s runner (its result is not text)' };
      const length = vm.getNumber(vm.getProp(value, 'length'));
      if (!(length <= maxLength)) return { fatal: `returned a result of ${length} characters, more than the ${maxLength} a batch can need` };
      return { json: vm.getString(value) };
    } finally {
      value.dispose();
    }
  }

  /** Index (chunk-local) of the sample the runner was on, or -1. */
  private currentSample(): number {
    this.deadline = Date.now() + 1000;
    const out = this.guard(() => {
      const fn = this.vm.getProp(this.runner, 'current');
      try {
        return this.vm.callFunction(fn, this.runner);
      } finally {
        fn.dispose();
      }
    });
    if ('fatal' in out || out.value.error) {
      if (!('fatal' in out)) out.value.error?.dispose();
      return -1;
    }
    const n = this.vm.typeof(out.value.value) === 'number' ? this.vm.getNumber(out.value.value) : -1;
    out.value.value.dispose();
    return Number.isInteger(n) ? n : -1;
  }

  /**
   * Host-side traps while the VM runs (the wasm stack, an abort): the VM is then
   * unusable, and the caller's worker is discarded.
   */
  private guard<T>(f: () => T): { value: T } | { fatal: string } {
    try {
      return { value: f() };
    } catch (e) {
      this.broken = true;
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof RangeError) return { fatal: 'recursed too deeply (stack overflow)' };
      return { fatal: `crashed the grader sandbox (${capped(message)})` };
    }
  }

  /** Reads an error thrown out of the VM as plain host strings. */
  private readError(handle: QuickJSHandle): { kind: 'interrupted' | 'memory' | 'error'; name: string; message: string; where: string } {
    const { vm } = this;
    this.deadline = Date.now() + 1000;
    const text = (key: string): string => {
      try {
        const h = vm.getProp(handle, key);
        const v = vm.typeof(h) === 'string' ? vm.getString(h) : vm.typeof(h) === 'number' ? String(vm.getNumber(h)) : '';
        h.dispose();
        return capped(v);
      } catch {
        return '';
      }
    };
    const name = text('name') || 'Error';
    const message = text('message');
    const stack = text('stack');
    if (name === 'InternalError' && message === 'interrupted') return { kind: 'interrupted', name, message, where: '' };
    if (name === 'InternalError' && message === 'out of memory') return { kind: 'memory', name, message, where: '' };
    const m = /grader\.js:(\d+)(?::(\d+))?/.exec(stack);
    const where = m ? ` at line ${m[1]}${m[2] ? `, column ${m[2]}` : ''}` : '';
    return { kind: 'error', name, message, where };
  }
}
