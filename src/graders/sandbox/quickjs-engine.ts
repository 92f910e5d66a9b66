/**
 * The QuickJS engine from a compiled WebAssembly.Module, put together without
 * the dynamic imports quickjs-emscripten's own loader uses: an inline (Blob)
 * worker has no URL to resolve a separate chunk against. These are the same
 * three parts newQuickJSWASMModuleFromVariant assembles.
 */
import { QuickJSWASMModule } from 'quickjs-emscripten-core';
import { QuickJSFFI } from '@jitl/quickjs-wasmfile-release-sync/ffi';
import loadEmscriptenModule from '@jitl/quickjs-wasmfile-release-sync/emscripten-module';

type Instantiate = (imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void) => Promise<WebAssembly.Exports>;

export async function quickJsFromModule(wasm: WebAssembly.Module): Promise<QuickJSWASMModule> {
  const instantiateWasm: Instantiate = async (imports, done) => {
    const instance = await WebAssembly.instantiate(wasm, imports);
    done(instance);
    return instance.exports;
  };
  const emscripten = await (loadEmscriptenModule as unknown as (arg: { instantiateWasm: Instantiate }) => Promise<{ type?: string }>)({ instantiateWasm });
  emscripten.type = 'sync';
  const Ctor = QuickJSWASMModule as unknown as new (module: unknown, ffi: unknown) => QuickJSWASMModule;
  return new Ctor(emscripten, new QuickJSFFI(emscripten as never));
}
