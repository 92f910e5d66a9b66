// A grading worker for Node: a worker_threads Worker that runs grading-service.ts.
// Plain JavaScript so Node can start it with or without tsx; it registers tsx's
// loader itself (a worker does not inherit the parent's) to load the TypeScript.
//
// The worker is a thread the host can terminate at the time limit, with a heap
// limit of its own (resourceLimits). Custom JS never runs in this realm: it runs
// in a QuickJS VM inside it (quickjs-sandbox.ts).
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
import { expose } from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';

register();
const [{ gradingService }, { newQuickJSWASMModuleFromVariant }, variant] = await Promise.all([
  import('./grading-service.ts'),
  import('quickjs-emscripten-core'),
  import('@jitl/quickjs-wasmfile-release-sync'),
]);

let engine = null;
// Graders are synchronous; a stray rejection from our own code must not take the worker down mid-batch.
process.on('unhandledRejection', () => {});

expose(gradingService(() => (engine ??= newQuickJSWASMModuleFromVariant(variant.default))), nodeEndpoint(parentPort));
