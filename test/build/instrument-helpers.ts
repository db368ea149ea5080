/**
 * What the instrumentation tests share: WAT to bytes (wabt, with the features
 * the pass decodes), a deterministic host to run a module and its instrumented
 * twin side by side and compare what they did, and a metered fuel host.
 */
import { expect } from 'vitest';
import wabtInit from 'wabt';
import { FUEL_IMPORT, INITIAL_FUEL, instrumentModule } from '../../src/build/instrument.js';
import { readWasmLayout, type RawValueType } from '../../src/build/wasm-reader.js';

const wabt = await wabtInit();

export function wat(text: string): Uint8Array {
  const module = wabt.parseWat('test.wat', text, { exceptions: true, tail_call: true, threads: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ write_debug_names: true }).buffer);
  } finally {
    module.destroy();
  }
}

export type Fn = (...args: unknown[]) => unknown;
class Exit extends Error {}

/**
 * Deterministic imports for a module: platform.now ticks by one per call, log and fd_write are recorded
 * into `trace`, fd_read finds no input, the other WASI functions answer ENOSYS; the instrumented module
 * also gets `fuel`.
 */
function hostFor(
  bytes: Uint8Array,
  trace: unknown[],
  fuel: () => number,
): { imports: WebAssembly.Imports; bind: (i: WebAssembly.Instance) => void } {
  const layout = readWasmLayout(bytes);
  let memory: WebAssembly.Memory | undefined;
  let clock = 1_000;
  const view = () => new DataView(memory!.buffer);
  const wasi: Record<string, Fn> = {
    fd_write: (fd, iovs, count, written) => {
      let total = 0;
      for (let i = 0; i < Number(count); i++) {
        const [ptr, len] = [view().getUint32(Number(iovs) + 8 * i, true), view().getUint32(Number(iovs) + 8 * i + 4, true)];
        trace.push(['write', fd, Buffer.from(memory!.buffer, ptr, Math.min(len, 256)).toString('latin1'), len]);
        total += len;
      }
      view().setUint32(Number(written), total, true);
      return 0;
    },
    fd_read: (_fd, _iovs, _count, read) => (view().setUint32(Number(read), 0, true), 0),
    environ_sizes_get: (count, size) => (view().setUint32(Number(count), 0, true), view().setUint32(Number(size), 0, true), 0),
    args_sizes_get: (count, size) => (view().setUint32(Number(count), 0, true), view().setUint32(Number(size), 0, true), 0),
    environ_get: () => 0,
    args_get: () => 0,
    proc_exit: (code) => {
      throw new Exit(`exit ${String(code)}`);
    },
  };
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = { [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: fuel } };
  for (const { module, name, desc } of layout.imports) {
    const space = (imports[module] ??= {});
    if (desc.kind === 'memory') space[name] = memory = new WebAssembly.Memory(desc.limits);
    else if (desc.kind === 'table') space[name] = new WebAssembly.Table({ element: 'anyfunc', initial: desc.limits.initial });
    else if (desc.kind === 'global') space[name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 5);
    else if (module === 'platform')
      space[name] = name === 'now' ? () => clock++ : (...args: unknown[]) => void trace.push(['log', ...args]);
    else space[name] = wasi[name] ?? (() => 52);
  }
  return { imports, bind: (instance) => void (memory ??= instance.exports.memory as WebAssembly.Memory | undefined) };
}

// Kept small where a loop counts to the first argument: the originals run unmetered.
const ARG_SETS = [[0], [1], [5, 2], [100_000, -7]];

function argument(type: RawValueType, value: number): unknown {
  if (type === 'i64') return BigInt(value);
  if (type === 'funcref' || type === 'externref') return null;
  return value;
}

export const outcome = (call: () => unknown): unknown => {
  try {
    const value = call();
    return typeof value === 'function' || typeof value === 'object' ? { value: typeof value } : { value };
  } catch (error) {
    return { error: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error) };
  }
};

/** Instantiates the module and calls each exported function (in name order) with each argument set: what happened, in order. */
async function run(original: Uint8Array, bytes: Uint8Array, fuel: () => number = () => INITIAL_FUEL): Promise<unknown[]> {
  const layout = readWasmLayout(original);
  const functionTypes = [...layout.imports.flatMap((i) => (i.desc.kind === 'function' ? [i.desc.typeIndex] : [])), ...layout.functionTypes];
  const trace: unknown[] = [];
  const host = hostFor(original, trace, fuel);
  let instance: WebAssembly.Instance;
  try {
    instance = (await WebAssembly.instantiate(bytes, host.imports)).instance;
  } catch (error) {
    return [...trace, { instantiate: String(error) }];
  }
  host.bind(instance);
  for (const exported of [...layout.exports].sort((a, b) => a.name.localeCompare(b.name))) {
    const type = layout.types[functionTypes[exported.index] ?? -1];
    if (exported.kind !== 'function' || !type || [...type.params, ...type.results].includes('v128')) continue;
    const fn = instance.exports[exported.name] as Fn;
    for (const set of ARG_SETS) {
      const args = type.params.map((param, i) => argument(param, set[i % set.length] ?? 0));
      trace.push([exported.name, args, outcome(() => fn(...args))]);
    }
  }
  return trace;
}

/** Instruments `bytes` and expects the same trace from both versions. */
export async function expectSameBehaviour(bytes: Uint8Array): Promise<unknown[]> {
  const instrumented = instrumentModule(bytes);
  expect(WebAssembly.validate(instrumented.bytes)).toBe(true);
  const trace = await run(bytes, bytes);
  expect(await run(bytes, instrumented.bytes)).toEqual(trace);
  return trace;
}

class OutOfFuel extends Error {}

/** A fuel host that refills `refills` times, then throws its error: what a call's budget looks like from inside. */
export function meteredHost(refills: number) {
  const host = { calls: 0, error: new OutOfFuel('out of fuel') };
  const fuel = () => {
    if (++host.calls > refills) throw host.error;
    return INITIAL_FUEL;
  };
  return { host, imports: { [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: fuel } } };
}

export async function instrumented(text: string, imports: WebAssembly.Imports): Promise<Record<string, Fn>> {
  const { instance } = await WebAssembly.instantiate(instrumentModule(wat(text)).bytes, imports);
  return instance.exports as Record<string, Fn>;
}
