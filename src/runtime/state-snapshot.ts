/**
 * What makes a recycled instance indistinguishable from a fresh one: its
 * memories, mutable globals and tables as instantiation left them, captured
 * once and written back after every call. Instrumentation exports them under
 * reserved names (`ExecutionPlan.state`), so even a module's private memory is
 * reachable. A restore is exact or refused: a memory or table that grew since
 * the capture cannot shrink back, so the instance is dropped instead.
 */
import type { StateExports } from './protocol.js';

/**
 * Past this much memory, copying it back after every call stops paying: a
 * reset costs 1.5 µs at 64 KiB against ~48 µs for a new instance, 37 against
 * 87 µs at 1 MiB, 151 against 218 µs at 4 MiB, but 845 against 544 µs at
 * 16 MiB (`node bench/run.js recycle-cost`). A larger memory gets a new
 * instance per call.
 */
export const RECYCLE_MAX_MEMORY_BYTES = 4 * 1024 * 1024;
/** Tables are restored element by element (a call into the engine each). */
export const RECYCLE_MAX_TABLE_ELEMENTS = 1024;

interface MemoryImage {
  memory: WebAssembly.Memory;
  bytes: Uint8Array;
  view: Uint8Array;
}

interface GlobalImage {
  global: WebAssembly.Global;
  value: unknown;
}

interface TableImage {
  table: WebAssembly.Table;
  elements: unknown[];
}

export class StateSnapshot {
  private constructor(
    private readonly memories: MemoryImage[],
    private readonly globals: GlobalImage[],
    private readonly tables: TableImage[],
  ) {}

  /** The instance's state now, or the reason it cannot be recycled (`maxMemoryBytes`: for the bench's measurements). */
  static capture(instance: WebAssembly.Instance, names: StateExports, maxMemoryBytes = RECYCLE_MAX_MEMORY_BYTES): StateSnapshot | string {
    const exports = instance.exports;
    const memories: MemoryImage[] = [];
    let total = 0;
    for (const name of names.memories) {
      const memory = exports[name] as WebAssembly.Memory;
      const view = new Uint8Array(memory.buffer);
      total += view.byteLength;
      if (total > maxMemoryBytes) return `its memory is larger than ${maxMemoryBytes / 1024} KiB`;
      memories.push({ memory, bytes: view.slice(), view });
    }
    const globals: GlobalImage[] = [];
    for (const name of names.globals) {
      const global = exports[name] as WebAssembly.Global;
      try {
        globals.push({ global, value: global.value as unknown });
      } catch {
        return 'it has a mutable global JavaScript cannot read (v128)';
      }
    }
    const tables: TableImage[] = [];
    for (const name of names.tables) {
      const table = exports[name] as WebAssembly.Table;
      if (table.length > RECYCLE_MAX_TABLE_ELEMENTS) return `a table has more than ${RECYCLE_MAX_TABLE_ELEMENTS} elements`;
      const elements: unknown[] = [];
      for (let i = 0; i < table.length; i++) elements.push(table.get(i));
      tables.push({ table, elements });
    }
    return new StateSnapshot(memories, globals, tables);
  }

  /** Puts the captured state back; false (and the instance must go) when that cannot be exact. */
  restore(): boolean {
    for (const image of this.memories) {
      // A grown memory has a new, longer buffer (and the old view is detached).
      if (image.memory.buffer.byteLength !== image.bytes.byteLength) return false;
      image.view.set(image.bytes);
    }
    for (const image of this.globals) image.global.value = image.value;
    for (const image of this.tables) {
      if (image.table.length !== image.elements.length) return false;
      for (let i = 0; i < image.elements.length; i++) image.table.set(i, image.elements[i]);
    }
    return true;
  }
}
