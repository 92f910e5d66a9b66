/**
 * The one WGSL loader. Kernels live in `shaders/`, one per file, by part of the
 * seam (docs/architecture.md): `lib/` (libraries prepended to every kernel),
 * `objectives/`, `optimizer/`, and one folder per policy model (`table/`).
 * Each kernel is composed as a short generated header of constants (workgroup
 * size, vocabulary, ...), the shared libraries, its policy model's libraries
 * (policy kernels only) and its own file. In a Vite build (and under vitest)
 * the files come in through `import.meta.glob` with `?raw`; under plain Node
 * (tsx: the trainer, the benchmark) they are read from disk. Sources are keyed
 * by their path under shaders/ without ".wgsl" ("table/sample"). Compile
 * errors are reported with the kernel's file and line. `bench/` holds the
 * benchmark's probes, which are not kernels of the product.
 */

/** Prepended to every kernel, in this order (common uses df64's two_sum). */
export const SHARED_LIBRARIES = ['lib/prng', 'lib/df64', 'lib/common'] as const;

/** shaders/bench/ holds the benchmark's probes (bench/ceiling.ts reads them itself): never loaded or bundled as kernels. */
const BENCH_ONLY = 'bench/';

/** Path under shaders/ without ".wgsl" → WGSL source. */
export type ShaderSources = Record<string, string>;

let cached: Promise<ShaderSources> | null = null;

export function loadShaderSources(): Promise<ShaderSources> {
  cached ??= load();
  return cached;
}

async function load(): Promise<ShaderSources> {
  const bundled = bundledSources();
  if (bundled) return bundled;
  // Plain Node: read the same files from disk. The specifiers are computed so that
  // neither the bundler nor the minifier (which inlines constant strings) writes a
  // node: import into the browser build.
  const fsName = ['node', 'fs/promises'].join(':');
  const urlName = ['node', 'url'].join(':');
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  const url = (await import(/* @vite-ignore */ urlName)) as typeof import('node:url');
  const here = import.meta.url;
  const dir = url.fileURLToPath(new URL('../../shaders/', here));
  const out: ShaderSources = {};
  const files = (await fs.readdir(dir, { recursive: true })).map((f) => String(f).replace(/\\/g, '/')).filter((f) => f.endsWith('.wgsl') && !f.startsWith(BENCH_ONLY)).sort();
  for (const file of files) out[file.replace(/\.wgsl$/, '')] = await fs.readFile(`${dir}${file}`, 'utf8');
  return out;
}

function bundledSources(): ShaderSources | null {
  let modules: Record<string, string>;
  try {
    modules = import.meta.glob(['../../shaders/**/*.wgsl', '!../../shaders/bench/**'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
  } catch {
    return null; // not transformed by Vite: import.meta.glob does not exist
  }
  const out: ShaderSources = {};
  for (const [path, code] of Object.entries(modules)) out[path.replace(/^.*?shaders\//, '').replace(/\.wgsl$/, '')] = code;
  return out;
}

/** The short name of a kernel file ("table/sample" → "sample"). */
export function kernelBaseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/** A kernel's full source and where each part came from, to map error lines back to files. */
export interface ComposedKernel {
  name: string;
  /** Its path under shaders/ without ".wgsl". */
  file: string;
  code: string;
  parts: { file: string; firstLine: number; lineCount: number }[];
}

/** `file`'s kernel: the header, the shared libraries, then `libraries` (its policy model's), then the file. */
export function composeKernel(file: string, header: string, libraries: readonly string[], sources: ShaderSources): ComposedKernel {
  const parts: ComposedKernel['parts'] = [];
  const chunks: string[] = [];
  let line = 1;
  const add = (name: string, text: string) => {
    const body = text.endsWith('\n') ? text : text + '\n';
    const lineCount = body.split('\n').length - 1;
    parts.push({ file: name, firstLine: line, lineCount });
    chunks.push(body);
    line += lineCount;
  };
  add('(generated header)', header);
  for (const part of [...SHARED_LIBRARIES, ...libraries, file]) {
    const code = sources[part];
    if (code === undefined) throw new Error(`shaders/${part}.wgsl is missing`);
    add(`shaders/${part}.wgsl`, code);
  }
  return { name: kernelBaseName(file), file, code: chunks.join(''), parts };
}

/** "shaders/table/sample.wgsl:12:5" for a line of the composed source. */
export function locate(kernel: ComposedKernel, line: number, column: number): string {
  for (const part of kernel.parts) {
    if (line >= part.firstLine && line < part.firstLine + part.lineCount) return `${part.file}:${line - part.firstLine + 1}:${column}`;
  }
  return `${kernel.name} (composed):${line}:${column}`;
}

export class ShaderCompileError extends Error {
  constructor(
    readonly kernel: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShaderCompileError';
  }
}

/**
 * Compiles kernels (entry point `main`) into pipelines with explicit layouts,
 * all in flight together. Errors come from each module's getCompilationInfo()
 * (error scopes are a per-device stack, so concurrent compiles would steal each
 * other's errors); WGSL errors become one ShaderCompileError listing
 * "shaders/<folder>/<file>.wgsl:line:column: message" for every error of every kernel.
 */
export async function compileKernels(device: GPUDevice, kernels: { kernel: ComposedKernel; layout: GPUPipelineLayout }[]): Promise<GPUComputePipeline[]> {
  const modules = kernels.map(({ kernel }) => device.createShaderModule({ label: `${kernel.name}.wgsl`, code: kernel.code }));
  const infos = await Promise.all(modules.map((m) => m.getCompilationInfo()));
  const problems: string[] = [];
  const failed: string[] = [];
  infos.forEach((info, i) => {
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length === 0) return;
    failed.push(kernels[i].kernel.name);
    for (const m of errors) problems.push(`${locate(kernels[i].kernel, m.lineNum, m.linePos)}: ${m.message}`);
  });
  if (failed.length > 0) {
    const names = failed.map((n) => `"${n}"`).join(', ');
    throw new ShaderCompileError(failed[0], `WGSL kernel ${names} does not compile:\n${problems.join('\n')}`);
  }
  return Promise.all(
    kernels.map(({ kernel, layout }, i) =>
      device.createComputePipelineAsync({ label: kernel.name, layout, compute: { module: modules[i], entryPoint: 'main' } }).catch((e: Error) => {
        throw new ShaderCompileError(kernel.name, `WGSL kernel "${kernel.name}" (shaders/${kernel.file}.wgsl) cannot be made into a pipeline: ${e.message}`);
      }),
    ),
  );
}
