// Recycle cost: what a clean instance costs per call, by the size of the module's memory — a new
// `WebAssembly.Instance` (and with it a new memory) against resetting one kept instance (its memory image
// copied back, src/runtime/state-snapshot.ts). Measured in this process on the built runtime, the two
// interleaved in rounds; the ratio per size is where copying stops paying, which is where
// RECYCLE_MAX_MEMORY_BYTES puts the limit (a larger memory is instantiated fresh for every call).
import { performance } from 'node:perf_hooks';
import { median } from '../lib/stats.js';

export const name = 'recycle-cost';
export const description = 'µs per clean instance: a new instance vs resetting a kept one, by memory size';

const PAGES = [1, 4, 16, 64, 256];
const CALLS = 2000;

/** A module with `pages` of memory, a data segment, a mutable global and an entry that touches all three. */
function moduleBytes(pages) {
  // Hand-assembled to stay free of the build step: (memory pages) (global (mut i32)) (data ...) (func ...).
  const u32 = (n) => {
    const out = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n) byte |= 0x80;
      out.push(byte);
    } while (n);
    return out;
  };
  const section = (id, body) => [id, ...u32(body.length), ...body];
  const body = [0, 0x41, 16, 0x41, 16, 0x28, 2, 0, 0x41, 1, 0x6a, 0x36, 2, 0, 0x23, 0, 0x41, 1, 0x6a, 0x24, 0, 0x41, 16, 0x28, 2, 0, 0x0b];
  return new Uint8Array([
    0,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, ...u32(pages)]),
    ...section(6, [1, 0x7f, 1, 0x41, 0, 0x0b]),
    ...section(7, [1, 6, ...Buffer.from('_start'), 0, 0]),
    ...section(10, [1, ...u32(body.length), ...body]),
    ...section(11, [1, 0, 0x41, 16, 0x0b, 4, 41, 0, 0, 0]),
  ]);
}

function perCall(run) {
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) run();
  return ((performance.now() - started) * 1000) / CALLS;
}

export async function run(ctx) {
  const { instrumentModule, FUEL_IMPORT } = await import('../../dist/build/instrument.js');
  const { StateSnapshot, RECYCLE_MAX_MEMORY_BYTES } = await import('../../dist/runtime/state-snapshot.js');
  ctx.note(
    `recycle-cost: RECYCLE_MAX_MEMORY_BYTES is ${RECYCLE_MAX_MEMORY_BYTES / 1024} KiB (a larger memory gets a new instance per call)`,
  );
  const rows = [];
  for (const pages of PAGES) {
    const instrumented = instrumentModule(moduleBytes(pages));
    const module = new WebAssembly.Module(instrumented.bytes);
    const imports = { [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: () => 1000 } };
    const fresh = () => new WebAssembly.Instance(module, imports).exports._start();
    const kept = new WebAssembly.Instance(module, imports);
    const snapshot = StateSnapshot.capture(kept, instrumented.state, Infinity);
    if (typeof snapshot === 'string') throw new Error(`recycle-cost: ${snapshot}`);
    const recycled = () => {
      kept.exports._start();
      snapshot.restore();
    };
    const freshUs = [];
    const recycledUs = [];
    for (let round = 0; round < ctx.settings.rounds + 1; round++) {
      const a = perCall(fresh);
      const b = perCall(recycled);
      if (round === 0) continue; // warm-up round: tier-up and the first mmap costs
      freshUs.push(a);
      recycledUs.push(b);
    }
    const ratios = recycledUs.map((b, i) => b / freshUs[i]);
    const size = `${pages * 64} KiB`;
    ctx.log(`${size}: new instance ${median(freshUs).toFixed(2)} µs, reset ${median(recycledUs).toFixed(2)} µs`);
    rows.push(
      { scenario: name, metric: `${size}: new instance per call`, value: median(freshUs), unit: 'µs', rounds: freshUs },
      { scenario: name, metric: `${size}: reset a kept instance`, value: median(recycledUs), unit: 'µs', rounds: recycledUs },
      { scenario: name, metric: `${size}: reset / new`, value: median(ratios), unit: '×', rounds: ratios },
    );
  }
  return rows;
}
