/**
 * Tables are host memory that no `memory:` limit covers: V8 keeps ~29 bytes
 * per funcref element (measured on Node 20: `table.grow` by 10M elements adds
 * ~277 MiB to the process), and a module may declare up to 10M elements or
 * grow to them. So every function's tables together hold at most
 * MAX_TABLE_ELEMENTS elements: more at start is refused (inspect.ts, at build
 * and at deploy), and the artifact's table maxima are rewritten so that
 * `table.grow` past the limit returns -1 inside the engine, as capOwnMemory
 * does for memory.
 *
 * Why 65,536: toolchains size the indirect-function table to the functions
 * whose address is taken — tens for AssemblyScript, hundreds to a few thousand
 * for Rust and C programs, tens of thousands only for the largest C++ ones —
 * and usually declare it with maximum = initial. At 65,536 those all fit, and
 * a function at the limit costs the host ~1.8 MiB per running instance, not
 * ~277 MiB. 10,000 would leave large C++ programs out for ~0.3 MiB saved.
 */
import { encodeU32, replaceSection, type TableLimits, type WasmLayout } from './wasm-reader.js';

/** The most table elements a function may have, all its tables together, at start or after growing. */
export const MAX_TABLE_ELEMENTS = 65_536;

/**
 * Each own table's new maximum: the growth room left under `limit` (after every
 * table's initial size) goes to the tables in declaration order, each taking at
 * most what it declares. One table gets min(maximum, limit); a table declared
 * with maximum = initial (what LLVM emits) takes no room from the others.
 * Expects the initial sizes to fit (checkModule refuses them otherwise).
 */
export function tableMaxima(tables: readonly TableLimits[], limit = MAX_TABLE_ELEMENTS): number[] {
  let room = Math.max(0, limit - tables.reduce((sum, table) => sum + table.initial, 0));
  return tables.map((table) => {
    const maximum = Math.min(table.maximum ?? Infinity, table.initial + room);
    room -= maximum - table.initial;
    return maximum;
  });
}

/**
 * Returns the module with its own tables' maxima lowered by tableMaxima().
 * Only the table section changes, and it comes before the memory section
 * (spec §5.5.2 fixes the order), so `layout` may come from the bytes before
 * capOwnMemory rewrote them: apply this one to capOwnMemory's output.
 */
export function capOwnTables(bytes: Uint8Array, layout: WasmLayout, limit = MAX_TABLE_ELEMENTS): Uint8Array {
  const section = layout.tableSection;
  if (!section) return bytes;
  const maxima = tableMaxima(section.tables, limit);
  if (section.tables.every((table, i) => table.maximum === maxima[i])) return bytes;
  const payload: number[] = [];
  // From after the section's size field (re-encoded below), copy all but the limits.
  let copied = payloadStart(bytes, section.start);
  section.tables.forEach((table, i) => {
    payload.push(...bytes.subarray(copied, table.start));
    payload.push(table.flags | 0x01, ...encodeU32(table.initial), ...encodeU32(maxima[i] ?? table.initial));
    copied = table.end;
  });
  payload.push(...bytes.subarray(copied, section.end));
  return replaceSection(bytes, section, 4, payload);
}

/** Where a section's payload begins: after its id byte and its LEB128 size. */
function payloadStart(bytes: Uint8Array, start: number): number {
  let at = start + 1;
  while ((bytes[at] ?? 0) & 0x80) at++;
  return at + 1;
}
