/**
 * A grading worker for browsers: runs grading-service.ts. Custom JS runs in a
 * QuickJS VM whose engine arrives compiled from the host (browser-host.ts).
 */
import { expose } from '../../worker/rpc.ts';
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import { gradingService } from './grading-service.ts';
import type { SandboxJob } from './protocol.ts';
import { quickJsFromModule } from './quickjs-engine.ts';

let engine: Promise<QuickJSWASMModule> | null = null;

function quickJs(job: SandboxJob): Promise<QuickJSWASMModule> {
  if (!job.wasm) return Promise.reject(new Error('the grader engine was not provided'));
  engine ??= quickJsFromModule(job.wasm);
  return engine;
}

expose(gradingService(quickJs));
