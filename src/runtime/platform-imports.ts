/**
 * The host functions a nanoprocess may import, as the worker supplies them.
 * Which imports exist is one table, src/build/platform-abi.ts: the builder
 * checks their types against it, the main thread checks a module's imports
 * against it again at deploy, and the worker builds the import object per
 * invocation here. `args` modules import from `platform`; `wagi` modules from
 * `wasi_snapshot_preview1` only (see wasi-host.ts).
 *
 * To add a host function, add it to platform-abi.ts and to `importsFactory`;
 * a function that needs the instance's memory receives the instance through
 * the `bind` hook.
 */
import type { Abi, MemoryInfo } from '../build/manifest.js';
import { importsFor, PLATFORM_MODULE } from '../build/platform-abi.js';
import type { LogLines } from './payload.js';

/** An import as a module declares it (the engine's `WebAssembly.Module.imports()` gives this shape too). */
export interface ImportName {
  module: string;
  name: string;
  kind: string;
}

/** The imports the platform cannot supply for the ABI, rendered `env.abort (function)`. */
export function unsupportedImports(imports: readonly ImportName[], abi: Abi = 'args'): string[] {
  const allowed = importsFor(abi);
  const supported = (i: ImportName): boolean => i.module === allowed.module && allowed.table[i.name]?.kind === i.kind;
  return imports.filter((i) => !supported(i)).map((i) => `${i.module}.${i.name} (${i.kind})`);
}

/** True when an args module imports platform.log (its jobs then carry a payload buffer for the lines). */
export function importsLog(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.module === PLATFORM_MODULE && i.name === 'log' && i.kind === 'function');
}

// Date.now() as an f64, as the seed's platform did (sleep.wat busy-waits on it).
const now = (): number => Date.now();

export interface InstanceImports {
  imports: WebAssembly.Imports;
  /** Called with the new instance, for host functions that need its exports. */
  bind?: (instance: WebAssembly.Instance) => void;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Returns a factory of import objects for one module. Without an imported
 * memory or platform.log the object holds no per-invocation state, so one
 * object serves every invocation (the numeric hot path); an imported memory
 * must be fresh each time (no state survives a call) and carries the
 * function's limit as its maximum, so `memory.grow` past the limit returns -1.
 * platform.log reads from the imported memory, or else the module's exported one.
 */
/** Where platform.log's lines go: an invocation's LogLines, or a sink that forwards to the current one. */
export type LogTarget = Pick<LogLines, 'push'>;

export function importsFactory(memory: MemoryInfo | null, withLog = false): (logs?: LogTarget) => InstanceImports {
  const imported = memory !== null && memory.imported;
  if (!imported && !withLog) {
    const shared: InstanceImports = { imports: { [PLATFORM_MODULE]: { now } } };
    return () => shared;
  }
  const descriptor: WebAssembly.MemoryDescriptor | undefined = imported
    ? { initial: memory.initialPages, maximum: memory.maximumPages }
    : undefined;
  return (logs) => {
    const own = descriptor === undefined ? undefined : new WebAssembly.Memory(descriptor);
    let target = own;
    const platform: Record<string, WebAssembly.ExportValue> = { now };
    if (own !== undefined) platform.memory = own;
    if (withLog) {
      platform.log = (ptr: number, len: number): void => {
        if (target === undefined || logs === undefined) return;
        const start = ptr >>> 0;
        const end = Math.min(start + (len >>> 0), target.buffer.byteLength);
        if (end <= start) return;
        logs.push(decoder.decode(new Uint8Array(target.buffer, start, end - start)));
      };
    }
    return {
      imports: { [PLATFORM_MODULE]: platform },
      bind:
        withLog && own === undefined
          ? (instance) => {
              target = Object.values(instance.exports).find((value): value is WebAssembly.Memory => value instanceof WebAssembly.Memory);
            }
          : undefined,
    };
  };
}
