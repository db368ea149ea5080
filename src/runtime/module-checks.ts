/**
 * What the runtime checks and prepares once per deploy, before a module can be
 * switched in: the entry's arity, that the engine compiles it, its imports
 * against the ABI, the exports its ABI needs; then the instrumentation pass
 * (src/build/instrument.ts) that lets a deadline stop it on any thread and
 * lets one instance be reset and reused. A module the pass cannot handle still
 * runs, as before: a fresh instance per call, on the workers, timeouts by vm's
 * watchdog.
 */
import type { FunctionArtifact } from '../build/manifest.js';
import { describeAllowedImports } from '../build/platform-abi.js';
import { FUEL_IMPORT, InstrumentError, instrumentModule } from '../build/instrument.js';
import { unsupportedImports } from './platform-imports.js';
import { MAX_VALUES, type ExecutionPlan } from './protocol.js';
import { deployRefused } from './runtime-errors.js';

export interface CheckedModule {
  /** What the runtime runs: the instrumented module, or the artifact's own when the pass could not handle it. */
  module: WebAssembly.Module;
  bytes: Uint8Array;
  plan: ExecutionPlan | undefined;
  /** Why the module is not instrumented or not recycled ('' when it is both), for `nano info` and the logs. */
  note: string;
}

export async function checkModule(fn: FunctionArtifact, bytes: Uint8Array): Promise<CheckedModule> {
  const { name, signature } = fn;
  if (signature.params.length > MAX_VALUES || signature.results.length > MAX_VALUES) {
    throw deployRefused(name, `its entry has more than ${MAX_VALUES} parameters or results`);
  }
  const copy = bytes.slice();
  const checked = await prepare(name, copy);
  const abi = fn.abi ?? 'args';
  const unsupported = unsupportedImports(checked.module, abi).filter((text) => text !== FUEL_IMPORT_TEXT || checked.plan === undefined);
  if (unsupported.length > 0) {
    throw deployRefused(name, `it imports ${unsupported.join(', ')}; allowed imports: ${describeAllowedImports(abi)}`);
  }
  const exports = WebAssembly.Module.exports(checked.module);
  if (abi === 'wagi' && !exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw deployRefused(name, 'a wagi module must export its memory as "memory"');
  }
  const entry = exports.find((e) => e.name === fn.entry);
  if (entry?.kind !== 'function') throw deployRefused(name, `it exports no function "${fn.entry}"`);
  return checked;
}

/** How unsupportedImports words the fuel check's import, which only the pass may add. */
const FUEL_IMPORT_TEXT = `${FUEL_IMPORT.module}.${FUEL_IMPORT.name} (function)`;

/**
 * Instruments, then compiles: one compile per deploy when the pass handles the
 * module. When it does not (or, a bug of ours, its output does not compile),
 * the module as it came is compiled and runs uninstrumented.
 */
async function prepare(name: string, bytes: Uint8Array): Promise<CheckedModule> {
  let note: string;
  try {
    const result = instrumentModule(bytes);
    try {
      const recyclable = result.notRecyclable.length === 0;
      return {
        module: await WebAssembly.compile(result.bytes),
        bytes: result.bytes,
        plan: { state: result.state, recyclable },
        note: recyclable ? '' : `a fresh instance per call: ${result.notRecyclable.join('; ')}`,
      };
    } catch (cause) {
      note = `not instrumented: the instrumented module did not compile (${messageOf(cause)})`;
    }
  } catch (error) {
    if (!(error instanceof InstrumentError)) throw error;
    note = `not instrumented: ${error.message}`;
  }
  try {
    return { module: await WebAssembly.compile(bytes), bytes, plan: undefined, note };
  } catch (cause) {
    throw deployRefused(name, `the artifact is not valid WebAssembly (${messageOf(cause)})`);
  }
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
