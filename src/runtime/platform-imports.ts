/**
 * The host functions a nanoprocess may import, all from the `platform`
 * namespace. The main thread checks a module's imports against this list at
 * deploy; the worker builds the import object from it per invocation.
 *
 * To add a host function (`platform.log(ptr, len)`, later WASI for another ABI),
 * add it to PLATFORM_IMPORTS and to `createImports`; a function that needs the
 * instance's memory can receive the instance through the `bind` hook.
 */
import type { MemoryInfo } from '../build/manifest.js';

export const PLATFORM_MODULE = 'platform';

/** Import name → the kind of extern the platform supplies for it. */
export const PLATFORM_IMPORTS: ReadonlyMap<string, WebAssembly.ImportExportKind> = new Map([
  ['now', 'function'],
  ['memory', 'memory'],
]);

/** The imports of `module` the platform cannot supply, rendered `env.abort (function)`. */
export function unsupportedImports(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.imports(module)
    .filter((i) => i.module !== PLATFORM_MODULE || PLATFORM_IMPORTS.get(i.name) !== i.kind)
    .map((i) => `${i.module}.${i.name} (${i.kind})`);
}

// Date.now() as an f64, as the seed's platform did (sleep.wat busy-waits on it).
const now = (): number => Date.now();

export interface InstanceImports {
  imports: WebAssembly.Imports;
  /** Called with the new instance, for host functions that need its exports. */
  bind?: (instance: WebAssembly.Instance) => void;
}

/**
 * Returns a factory of import objects for one module. Without an imported
 * memory the object holds no per-invocation state, so one object serves every
 * invocation; an imported memory must be fresh each time (no state survives a
 * call) and carries the function's limit as its maximum, so `memory.grow` past
 * the limit returns -1.
 */
export function importsFactory(memory: MemoryInfo | null): () => InstanceImports {
  if (memory === null || !memory.imported) {
    const shared: InstanceImports = { imports: { [PLATFORM_MODULE]: { now } } };
    return () => shared;
  }
  const descriptor: WebAssembly.MemoryDescriptor = { initial: memory.initialPages, maximum: memory.maximumPages };
  return () => ({ imports: { [PLATFORM_MODULE]: { now, memory: new WebAssembly.Memory(descriptor) } } });
}
