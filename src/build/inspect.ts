/**
 * Validates a module and checks it against its function's declaration: the entry
 * export, the platform ABI (which imports are allowed) and the memory limit.
 * Used by the builder and, later, by the platform on every upload: the server
 * never trusts a client's build.
 */
import type { Abi, Limits } from '../config/types.js';
import type { ImportRef, MemoryInfo, Signature, ValueType } from './manifest.js';
import { describeAllowedImports, importsFor, MAX_ENTRY_VALUES, WASI_MODULE } from './platform-abi.js';
import { capOwnTables, MAX_TABLE_ELEMENTS } from './table-limit.js';
import { capOwnMemory, hasWasmMagic, readWasmLayout, WasmFormatError, type FuncType, type WasmLayout } from './wasm-reader.js';

export interface ModuleCheckInput {
  name: string;
  entry: string;
  limits: Limits;
  /** Default `args`. */
  abi?: Abi;
}

export interface ModuleInfo {
  signature: Signature;
  imports: ImportRef[];
  memory: MemoryInfo | null;
  /** The module as it will run: own memory capped to the limit. */
  bytes: Uint8Array;
}

export type ModuleCheck = { ok: true; info: ModuleInfo } | { ok: false; errors: string[] };

const NUMERIC: readonly string[] = ['i32', 'i64', 'f32', 'f64'];

function sameType(a: FuncType, b: FuncType): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

function renderType(type: FuncType): string {
  return `(${type.params.join(', ')}) -> ${type.results.length ? type.results.join(', ') : '()'}`;
}

function entrySignature(layout: WasmLayout, fn: ModuleCheckInput, errors: string[]): Signature | undefined {
  const exported = layout.exports.find((item) => item.name === fn.entry);
  if (!exported) {
    const functions = layout.exports.filter((item) => item.kind === 'function').map((item) => item.name);
    const listed = functions.length ? `; it exports ${functions.map((n) => `"${n}"`).join(', ')}` : '; it exports no function';
    errors.push(`entry "${fn.entry}" is not exported by the module${listed} (set \`entry:\` in nano.yml or export "${fn.entry}")`);
    return undefined;
  }
  if (exported.kind !== 'function') {
    errors.push(`entry "${fn.entry}" is a ${exported.kind}, not a function`);
    return undefined;
  }
  const importedFunctions = layout.imports.filter((item) => item.desc.kind === 'function');
  const typeIndex =
    exported.index < importedFunctions.length
      ? (importedFunctions[exported.index]?.desc as { typeIndex: number }).typeIndex
      : layout.functionTypes[exported.index - importedFunctions.length];
  const type = typeIndex === undefined ? undefined : layout.types[typeIndex];
  if (!type) {
    errors.push(`entry "${fn.entry}" refers to a function type the module does not declare`);
    return undefined;
  }
  const unsupported = [...type.params, ...type.results].filter((t) => !NUMERIC.includes(t));
  if (unsupported.length > 0) {
    errors.push(`entry "${fn.entry}" uses ${unsupported.join(', ')}; nano passes and returns only i32, i64, f32 and f64`);
    return undefined;
  }
  if (type.params.length > MAX_ENTRY_VALUES) {
    errors.push(`entry "${fn.entry}" takes ${type.params.length} parameters; a nano function takes at most ${MAX_ENTRY_VALUES}`);
    return undefined;
  }
  if (type.results.length > 1) {
    errors.push(`entry "${fn.entry}" returns ${type.results.length} values; a nano function returns at most one`);
    return undefined;
  }
  return { params: type.params as ValueType[], results: type.results as ValueType[] };
}

function checkImports(layout: WasmLayout, abi: Abi, errors: string[]): ImportRef[] {
  const refs: ImportRef[] = [];
  const { module, table } = importsFor(abi);
  for (const item of layout.imports) {
    refs.push({ module: item.module, name: item.name, kind: item.desc.kind });
    const allowed = item.module === module && Object.hasOwn(table, item.name) ? table[item.name] : undefined;
    if (!allowed) {
      const why = item.module === WASI_MODULE && abi !== 'wagi' ? ' (WASI imports need `abi: wagi` in nano.yml)' : '';
      errors.push(
        `imports "${item.module}.${item.name}", which the platform does not provide${why}; allowed imports: ${describeAllowedImports(abi)}`,
      );
    } else if (allowed.kind !== item.desc.kind) {
      errors.push(`imports "${item.module}.${item.name}" as a ${item.desc.kind}, but the platform provides it as a ${allowed.kind}`);
    } else if (item.desc.kind === 'function' && allowed.kind === 'function') {
      const type = layout.types[item.desc.typeIndex];
      if (!type || !sameType(type, allowed.type)) {
        errors.push(
          `imports "${item.module}.${item.name}" with type ${type ? renderType(type) : 'unknown'}, expected ${renderType(allowed.type)}`,
        );
      }
    }
  }
  return refs;
}

function checkMemory(layout: WasmLayout, limits: Limits, errors: string[]): MemoryInfo | null {
  const importedMemory = layout.imports.find((item) => item.desc.kind === 'memory');
  const own = layout.memorySection?.memories ?? [];
  if ((importedMemory ? 1 : 0) + own.length > 1) {
    errors.push('declares more than one memory; nano functions have one linear memory');
    return null;
  }
  const limitsOf = importedMemory?.desc.kind === 'memory' ? importedMemory.desc.limits : own[0];
  if (!limitsOf) return null;
  if (limitsOf.memory64 || limitsOf.shared) {
    errors.push(`declares a ${limitsOf.memory64 ? '64-bit' : 'shared'} memory, which nano does not run`);
    return null;
  }
  if (limitsOf.initial > limits.memoryPages) {
    errors.push(
      `needs ${limitsOf.initial} pages of memory at start, above its limit of ${limits.memoryPages} (raise \`memory:\` in nano.yml to at least ${limitsOf.initial})`,
    );
    return null;
  }
  return {
    imported: importedMemory !== undefined,
    initialPages: limitsOf.initial,
    maximumPages: Math.min(limitsOf.maximum ?? limits.memoryPages, limits.memoryPages),
  };
}

/**
 * Tables are host memory outside `memory:` (see table-limit.ts): all own tables
 * together may start with at most MAX_TABLE_ELEMENTS elements. Imported tables
 * need no check: the platform provides none, so checkImports refuses them.
 */
function checkTables(layout: WasmLayout, errors: string[]): void {
  const tables = layout.tableSection?.tables ?? [];
  const initial = tables.reduce((sum, table) => sum + table.initial, 0);
  if (initial <= MAX_TABLE_ELEMENTS) return;
  const what = tables.length === 1 ? 'a table' : `${tables.length} tables`;
  errors.push(
    `declares ${what} of ${initial} elements at start, above the platform's limit of ${MAX_TABLE_ELEMENTS} table elements per function (all its tables together)`,
  );
}

/** A WAGI module is a WASI command: `_start: () -> ()` and its own memory exported as `memory`. */
function checkWagi(layout: WasmLayout, fn: ModuleCheckInput, signature: Signature | undefined, errors: string[]): void {
  if (signature && (signature.params.length > 0 || signature.results.length > 0)) {
    errors.push(
      `entry "${fn.entry}" of a wagi function must take and return nothing (a WASI command's _start), not ${renderType(signature)}`,
    );
  }
  if (!layout.exports.some((item) => item.name === 'memory' && item.kind === 'memory')) {
    errors.push('exports no memory named "memory"; a wagi (WASI) module must export its linear memory as "memory"');
  }
}

/** platform.log reads from the module's memory: an imported one, or one it exports. */
function checkLogMemory(layout: WasmLayout, errors: string[]): void {
  const logs = layout.imports.some((item) => item.module === 'platform' && item.name === 'log');
  if (!logs) return;
  const memory = layout.imports.some((item) => item.desc.kind === 'memory') || layout.exports.some((item) => item.kind === 'memory');
  if (!memory)
    errors.push(
      'imports "platform.log" but neither imports platform.memory nor exports its memory, so the platform cannot read what it logs',
    );
}

/**
 * Why the engine refuses `bytes`, in its words, or undefined when it accepts them. Validating generates
 * no code (a compile costs ~0.3 ms even for a tiny module, and a deploy checks every one); only a module
 * it refuses is compiled, because validate says only no.
 */
export function engineRefusal(bytes: Uint8Array): string | undefined {
  if (WebAssembly.validate(bytes)) return undefined;
  try {
    new WebAssembly.Module(bytes);
    return 'refused by the engine';
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/^WebAssembly\.Module\(\): /, '');
  }
}

/** Checks raw module bytes for one function; every problem found is listed. */
export function checkModule(bytes: Uint8Array, fn: ModuleCheckInput): ModuleCheck {
  if (!hasWasmMagic(bytes)) {
    return { ok: false, errors: ['is not a WebAssembly module (it does not start with the bytes \\0asm)'] };
  }
  // The engine's own validation is the one that matters: it is what will run the module.
  const refusal = engineRefusal(bytes);
  if (refusal !== undefined) return { ok: false, errors: [`is not a valid WebAssembly module: ${refusal}`] };
  let layout: WasmLayout;
  try {
    layout = readWasmLayout(bytes);
  } catch (error) {
    if (error instanceof WasmFormatError) return { ok: false, errors: [`could not be read: ${error.message}`] };
    throw error;
  }
  const errors: string[] = [];
  const abi = fn.abi ?? 'args';
  const signature = entrySignature(layout, fn, errors);
  const imports = checkImports(layout, abi, errors);
  if (abi === 'wagi') checkWagi(layout, fn, signature, errors);
  else checkLogMemory(layout, errors);
  const memory = checkMemory(layout, fn.limits, errors);
  checkTables(layout, errors);
  if (errors.length > 0 || !signature) return { ok: false, errors };
  // Tables after memory: the table section comes first, so `layout`'s offsets still hold.
  const capped = capOwnTables(capOwnMemory(bytes, layout, fn.limits.memoryPages), layout);
  return { ok: true, info: { signature, imports, memory, bytes: capped } };
}
