/** Shared fixtures for the runtime tests: WAT → bytes, and artifacts as the builder would write them. */
import wabtInit from 'wabt';
import type { FunctionArtifact, Limits, MemoryInfo, ValueType } from '../../src/build/manifest.js';

const wabt = await wabtInit();

export function wat(text: string): Uint8Array {
  const parsed = wabt.parseWat('test.wat', text, {});
  try {
    parsed.validate();
    return new Uint8Array(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

export interface ArtifactOptions {
  params?: ValueType[];
  results?: ValueType[];
  limits?: Partial<Limits>;
  memory?: MemoryInfo | null;
  entry?: string;
}

export function artifact(name: string, options: ArtifactOptions = {}): FunctionArtifact {
  return {
    name,
    artifact: `${name}.wasm`,
    sha256: '0'.repeat(64),
    size: 0,
    source: `functions/${name}.wat`,
    inputHash: '',
    entry: options.entry ?? '_start',
    signature: { params: options.params ?? [], results: options.results ?? [] },
    imports: [],
    memory: options.memory ?? null,
    limits: { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 60_000, concurrency: null, ...options.limits },
    routes: [],
  };
}

/** Busy-waits `ms` (an f64 argument) on platform.now, like the seed's sleep.wat, then returns `result`. */
export function sleepWat(result = 1): string {
  return `(module
    (import "platform" "now" (func $now (result f64)))
    (func (export "_start") (param $ms f64) (result i32)
      (local $end f64)
      (local.set $end (f64.add (call $now) (local.get $ms)))
      (block $done
        (loop $wait
          (br_if $done (f64.ge (call $now) (local.get $end)))
          (br $wait)))
      i32.const ${result}))`;
}

export const STUCK_WAT = '(module (func (export "_start") (loop $forever (br $forever))))';
/**
 * The same endless loop in a module the instrumentation refuses (an export in
 * its reserved namespace): it runs as it came, so only the worker's vm guard
 * or the main thread's watchdog (terminating the worker) can stop it — the
 * backstops the timeout suite keeps covering.
 */
export const STUCK_UNINSTRUMENTED_WAT =
  '(module (func (export "_start") (loop $forever (br $forever))) (func (export "nano:uninstrumented")))';
export const ANSWER_WAT = '(module (func (export "_start") (result i32) i32.const 42))';

/** Settles a promise into a value or the error it rejected with, for assertions on both. */
export async function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}
