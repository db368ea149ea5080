/**
 * What wasm-code.ts's decoder knows of each opcode: the kind of immediates
 * every one-byte opcode has (spec §5.4, plus bulk memory, reference types, SIMD
 * and relaxed SIMD, tail calls, threads and both exception-handling
 * encodings), which ones open a block, the 0xFC and 0xFD sub-opcodes, and the
 * value and reference types it accepts. An opcode missing here is refused.
 */

/** Value types without the GC proposal: i32 i64 f32 f64 v128 funcref externref exnref. */
export const VALUE_TYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69]);
export const REF_TYPES = new Set([0x70, 0x6f, 0x69]);

export const enum Imm {
  Unknown = 0,
  None,
  Index,
  Block,
  Loop,
  FuncIndex,
  TwoIndices,
  BrTable,
  Memarg,
  Leb,
  Bytes4,
  Bytes8,
  SelectTypes,
  RefNull,
  TryTable,
  Prefix,
}

/** The immediates of each one-byte opcode; 0 (Unknown) for those the decoder refuses. */
export const IMMEDIATES = new Uint8Array(256);
function assign(kind: Imm, ...ops: (number | [number, number])[]): void {
  for (const op of ops) {
    if (typeof op === 'number') IMMEDIATES[op] = kind;
    else for (let code = op[0]; code <= op[1]; code++) IMMEDIATES[code] = kind;
  }
}
// unreachable nop else end throw_ref return drop select catch_all; numeric ops (incl. sign-ext); ref.is_null
assign(Imm.None, 0x00, 0x01, 0x05, 0x0a, 0x0b, 0x0f, 0x1a, 0x1b, 0x19, [0x45, 0xc4], 0xd1);
assign(Imm.Block, 0x02, 0x04, 0x06); // block, if, try
assign(Imm.Loop, 0x03);
// catch throw rethrow br br_if delegate local.* global.* table.get/set memory.size/grow
assign(Imm.Index, 0x07, 0x08, 0x09, 0x0c, 0x0d, 0x18, [0x20, 0x26], 0x3f, 0x40);
assign(Imm.FuncIndex, 0x10, 0x12, 0xd2); // call, return_call, ref.func
assign(Imm.TwoIndices, 0x11, 0x13); // call_indirect, return_call_indirect: type, table
assign(Imm.BrTable, 0x0e);
assign(Imm.Memarg, [0x28, 0x3e]);
assign(Imm.Leb, 0x41, 0x42);
assign(Imm.Bytes4, 0x43);
assign(Imm.Bytes8, 0x44);
assign(Imm.SelectTypes, 0x1c);
assign(Imm.RefNull, 0xd0);
assign(Imm.TryTable, 0x1f);
/** try and try_table: the decoder refuses them (a catch could catch the fuel check's stop). */
export const TRY = 0x06;
export const TRY_TABLE = 0x1f;
assign(Imm.Prefix, 0xfc, 0xfd, 0xfe);

/** block, loop, if, try, try_table: each closed by an `end` (or, for try, a `delegate`). */
export const OPENS_BLOCK = new Uint8Array(256);
for (const op of [0x02, 0x03, 0x04, 0x06, 0x1f]) OPENS_BLOCK[op] = 1;

/**
 * How many u32 immediates each 0xFC instruction has: the saturating truncations (0-7), memory.init,
 * data.drop, memory.copy, memory.fill, table.init, elem.drop, table.copy, table.grow, table.size, table.fill.
 */
export const FC_IMMEDIATES = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1];

/** Gaps in the SIMD opcode space (final SIMD spec); 0x100-0x113 are relaxed SIMD, without immediates. */
export const SIMD_UNASSIGNED = new Set([
  154, 162, 165, 166, 175, 176, 178, 179, 180, 187, 194, 197, 198, 207, 208, 210, 211, 212, 226, 238,
]);
