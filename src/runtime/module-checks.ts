/**
 * What the runtime checks and prepares once per deploy, before a module can be
 * switched in: the entry's arity, that the engine validates it, its imports
 * against the ABI, the exports its ABI needs; then the instrumentation pass
 * (src/build/instrument.ts) that lets a deadline stop it on any thread and
 * lets one instance be reset and reused. A module the pass cannot handle still
 * runs, as before: a fresh instance per call, on the workers, timeouts by vm's
 * watchdog.
 */
import type { FunctionArtifact } from '../build/manifest.js';
import { describeAllowedImports } from '../build/platform-abi.js';
import { InstrumentError, instrumentModule } from '../build/instrument.js';
import { engineRefusal } from '../build/inspect.js';
import { readWasmLayout, WasmFormatError } from '../build/wasm-reader.js';
import { unsupportedImports, type ImportName } from './platform-imports.js';
import { MAX_VALUES, type ExecutionPlan } from './protocol.js';
import { deployRefused } from './runtime-errors.js';

export interface CheckedModule {
  /** What the runtime runs: the instrumented module, or the artifact's own when the pass could not handle it. */
  bytes: Uint8Array;
  plan: ExecutionPlan | undefined;
}

/**
 * Checks a function's module without compiling it: the engine validates the
 * bytes (no code generated) and the imports and exports are read from the
 * binary. A node holds thousands of functions, most of them idle, and a
 * compile costs ~0.3 ms and ~5 KB of native memory that outlives the module
 * even for a tiny one; the first call compiles what it runs.
 */
export function checkModule(fn: FunctionArtifact, bytes: Uint8Array): CheckedModule {
  const { name, signature } = fn;
  if (signature.params.length > MAX_VALUES || signature.results.length > MAX_VALUES) {
    throw deployRefused(name, `its entry has more than ${MAX_VALUES} parameters or results`);
  }
  const copy = bytes.slice();
  const refusal = engineRefusal(copy);
  if (refusal !== undefined) throw deployRefused(name, `the artifact is not valid WebAssembly (${refusal})`);
  const { imports, exports } = declared(copy);
  const abi = fn.abi ?? 'args';
  const unsupported = unsupportedImports(imports, abi);
  if (unsupported.length > 0) {
    throw deployRefused(name, `it imports ${unsupported.join(', ')}; allowed imports: ${describeAllowedImports(abi)}`);
  }
  if (abi === 'wagi' && !exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw deployRefused(name, 'a wagi module must export its memory as "memory"');
  }
  const entry = exports.find((e) => e.name === fn.entry);
  if (entry?.kind !== 'function') throw deployRefused(name, `it exports no function "${fn.entry}"`);
  return instrumented(copy);
}

/** The module's imports and exports, read from its sections (or, for one our reader cannot read, by the engine). */
function declared(bytes: Uint8Array): { imports: ImportName[]; exports: { name: string; kind: string }[] } {
  try {
    const layout = readWasmLayout(bytes);
    return { imports: layout.imports.map((i) => ({ module: i.module, name: i.name, kind: i.desc.kind })), exports: layout.exports };
  } catch (error) {
    if (!(error instanceof WasmFormatError)) throw error;
    const module = new WebAssembly.Module(bytes);
    return { imports: WebAssembly.Module.imports(module), exports: WebAssembly.Module.exports(module) };
  }
}

/**
 * The instrumented module, or the module as it came when the pass cannot
 * handle it (or, a bug of ours, its output does not validate).
 */
function instrumented(bytes: Uint8Array): CheckedModule {
  let result;
  try {
    result = instrumentModule(bytes);
  } catch (error) {
    if (!(error instanceof InstrumentError)) throw error;
    return { bytes, plan: undefined };
  }
  if (!WebAssembly.validate(result.bytes)) return { bytes, plan: undefined };
  return { bytes: result.bytes, plan: { state: result.state, recyclable: result.notRecyclable.length === 0 } };
}
