// Asks Dawn (the `webgpu` package) for an adapter under one Vulkan set-up and
// prints what it found as one JSON line. Run as a child process by
// node-gpu.ts, because Dawn's Vulkan code prints native warnings straight to
// the process's stderr while it looks (a driver it refuses, no driver at all):
// here they land in a pipe the parent reads and throws away, never in front of
// the user. Plain JavaScript so Node runs it without a TypeScript loader.
const { create, globals } = await import('webgpu');
Object.assign(globalThis, globals);
let found = null;
try {
  const adapter = await create([]).requestAdapter();
  if (adapter) {
    const info = adapter.info ?? {};
    found = {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter),
    };
  }
} catch {
  found = null;
}
process.stdout.write(JSON.stringify({ adapter: found }) + '\n');
process.exit(0);
