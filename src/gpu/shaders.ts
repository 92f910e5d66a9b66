/**
 * The one WGSL loader. Kernels live in `shaders/*.wgsl`, one per file, plus
 * three libraries (prng, df64, policy) prepended to every kernel after a short
 * generated header of constants (workgroup size, vocabulary, ...). In a Vite
 * build (and under vitest) the files come in through `import.meta.glob` with
 * `?raw`; under plain Node (tsx: the trainer, the benchmark) they are read
 * from disk. Compile errors are reported with the kernel's file and line.
 */

export const LIBRARY_NAMES = ['prng', 'df64', 'policy'] as const;

export const KERNEL_NAMES = [
  'row_stats',
  'sample_cdf',
  'sample',
  'advantages',
  'rft_tokens',
  'measure_tokens',
  'dpo_pairs',
  'sft_tokens',
  'accumulate',
  'grad_rows',
  'reduce',
  'finalize',
  'optimizer',
  'restore',
] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/** File name (without directory and extension) → WGSL source. */
export type ShaderSources = Record<string, string>;

let cached: Promise<ShaderSources> | null = null;

export function loadShaderSources(): Promise<ShaderSources> {
  cached ??= load();
  return cached;
}

async function load(): Promise<ShaderSources> {
  const bundled = bundledSources();
  if (bundled) return bundled;
  // Plain Node: read the same files from disk. The specifiers are variables so
  // a bundler never tries to include node:fs in the browser build.
  const fsName = 'node:fs/promises';
  const urlName = 'node:url';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  const url = (await import(/* @vite-ignore */ urlName)) as typeof import('node:url');
  const here = import.meta.url;
  const dir = url.fileURLToPath(new URL('../../shaders/', here));
  const out: ShaderSources = {};
  for (const name of [...LIBRARY_NAMES, ...KERNEL_NAMES]) out[name] = await fs.readFile(`${dir}${name}.wgsl`, 'utf8');
  return out;
}

function bundledSources(): ShaderSources | null {
  let modules: Record<string, string>;
  try {
    modules = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
  } catch {
    return null; // not transformed by Vite: import.meta.glob does not exist
  }
  const out: ShaderSources = {};
  for (const [path, code] of Object.entries(modules)) out[path.replace(/^.*\/|\.wgsl$/g, '')] = code;
  return out;
}

/** A kernel's full source and where each part came from, to map error lines back to files. */
export interface ComposedKernel {
  name: string;
  code: string;
  parts: { file: string; firstLine: number; lineCount: number }[];
}

export function composeKernel(name: string, header: string, sources: ShaderSources): ComposedKernel {
  const parts: ComposedKernel['parts'] = [];
  const chunks: string[] = [];
  let line = 1;
  const add = (file: string, text: string) => {
    const body = text.endsWith('\n') ? text : text + '\n';
    const lineCount = body.split('\n').length - 1;
    parts.push({ file, firstLine: line, lineCount });
    chunks.push(body);
    line += lineCount;
  };
  add('(generated header)', header);
  for (const lib of LIBRARY_NAMES) {
    const code = sources[lib];
    if (code === undefined) throw new Error(`shaders/${lib}.wgsl is missing`);
    add(`shaders/${lib}.wgsl`, code);
  }
  const code = sources[name];
  if (code === undefined) throw new Error(`shaders/${name}.wgsl is missing`);
  add(`shaders/${name}.wgsl`, code);
  return { name, code: chunks.join(''), parts };
}

/** "shaders/sample.wgsl:12:5" for a line of the composed source. */
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
 * "shaders/<file>.wgsl:line:column: message" for every error of every kernel.
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
        throw new ShaderCompileError(kernel.name, `WGSL kernel "${kernel.name}" (shaders/${kernel.name}.wgsl) cannot be made into a pipeline: ${e.message}`);
      }),
    ),
  );
}
