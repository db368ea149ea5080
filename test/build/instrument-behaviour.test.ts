/**
 * The instrumentation pass keeps behaviour: instrumented modules validate and
 * do what the originals do (the repository's WAT corpus, the AssemblyScript
 * template, an index-shifting module, every opcode family).
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { instrumentModule } from '../../src/build/instrument.js';
import { BASE_MODULES } from '../fuzz/wasm-gen.js';
import { dataSegmentWat, manyIovecsWat, resizeStdioWat, SINK_WAT, STDERR_FLOOD_WAT, tableGrowWat } from '../hardening/hostile-modules.js';
import { REPO_ROOT } from '../helpers/project.js';
import { ANSWER_WAT, busyWat, SLEEP_WAT, SUM_WAT } from '../helpers/wat.js';
import { ECHO_WAT, ENV_WAT, printWat } from '../wagi/modules.js';
import { expectSameBehaviour, wat } from './instrument-helpers.js';

async function corpus(): Promise<[string, string][]> {
  const files: [string, string][] = [];
  for (const dir of ['examples/functions', 'templates/wat/functions', 'templates/wagi/functions']) {
    for (const file of await readdir(join(REPO_ROOT, dir))) {
      // stuck.wat never returns: it is in the stopping tests.
      if (file.endsWith('.wat') && file !== 'stuck.wat') files.push([`${dir}/${file}`, await readFile(join(REPO_ROOT, dir, file), 'utf8')]);
    }
  }
  const fixtures: Record<string, string> = {
    ANSWER_WAT,
    SUM_WAT,
    SLEEP_WAT,
    busy: busyWat(50),
    ECHO_WAT,
    ENV_WAT,
    SINK_WAT,
    STDERR_FLOOD_WAT,
  };
  Object.assign(fixtures, { print: printWat('hi', 'oops'), resize: resizeStdioWat(100), iovecs: manyIovecsWat(64, 1) });
  Object.assign(fixtures, { tableGrow: tableGrowWat(10), data: dataSegmentWat(1) });
  for (const base of BASE_MODULES) fixtures[`fuzz base ${base.label}`] = base.wat;
  return [...files, ...Object.entries(fixtures)];
}

describe('behaviour is preserved', () => {
  it('for every module of the WAT corpus', async () => {
    const modules = await corpus();
    expect(modules.length).toBeGreaterThan(20);
    for (const [label, text] of modules) {
      await expectSameBehaviour(wat(text)).catch((error: unknown) => {
        throw new Error(`${label}: ${String(error)}`);
      });
    }
  });

  it('for the AssemblyScript template, built', async () => {
    const out = join(tmpdir(), `nano-instrument-${process.pid}.wasm`);
    const asc = join(REPO_ROOT, 'node_modules/assemblyscript/bin/asc.js');
    const options = ['--config', 'node_modules/@assemblyscript/wasi-shim/asconfig.json', '-O3', '--runtime', 'incremental'];
    await promisify(execFile)(process.execPath, [asc, 'templates/assemblyscript/assembly/hello.ts', ...options, '-o', out], {
      cwd: REPO_ROOT,
    });
    const built = new Uint8Array(await readFile(out));
    await rm(out, { force: true });
    const trace = await expectSameBehaviour(built);
    // No REQUEST_METHOD in its environment: it answers 405.
    expect(trace).toContainEqual(['write', 1, expect.stringContaining('status: 405'), expect.any(Number)]);
  }, 60_000);
});

describe('function indices shift by one for the fuel import', () => {
  const shifting = `(module
  (import "platform" "now" (func $now (result f64)))
  (type $unary (func (param i32) (result i32)))
  (table $t 4 funcref)
  (table $refs 2 funcref)
  (global $viaGlobal funcref (ref.func $triple))
  (global $started (mut i32) (i32.const 0))
  (elem (table $t) (i32.const 0) func $double $triple)
  (elem (table $refs) (i32.const 0) funcref (ref.func $inc) (ref.null func))
  (elem $passive func $inc $double)
  (elem declare func $triple)
  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $init (global.set $started (i32.add (global.get $started) (i32.const 40))))
  (start $init)
  (func (export "direct") (param i32) (result i32) (call $double (call $inc (local.get 0))))
  (func (export "indirect") (param i32) (result i32) (call_indirect $t (type $unary) (local.get 0) (i32.const 1)))
  (func (export "elemExpr") (param i32) (result i32) (call_indirect $refs (type $unary) (local.get 0) (i32.const 0)))
  (func (export "viaGlobal") (param i32) (result i32)
    (table.set $t (i32.const 2) (global.get $viaGlobal))
    (call_indirect $t (type $unary) (local.get 0) (i32.const 2)))
  (func (export "refFunc") (param i32) (result i32)
    (table.set $t (i32.const 3) (ref.func $triple))
    (call_indirect $t (type $unary) (local.get 0) (i32.const 3)))
  (func (export "passive") (param i32) (result i32)
    (table.init $t $passive (i32.const 3) (i32.const 1) (i32.const 1))
    (call_indirect $t (type $unary) (local.get 0) (i32.const 3)))
  (func (export "tail") (param i32) (result i32) (return_call $inc (local.get 0)))
  (func (export "tailIndirect") (param i32) (result i32) (return_call_indirect $t (type $unary) (local.get 0) (i32.const 0)))
  (func (export "started") (result i32) (global.get $started))
  (func (export "clock") (result f64) (call $now))
  (export "exportedInc" (func $inc)))`;

  it('keeps call, call_indirect, ref.func, element segments, exports and the start function pointing where they did', async () => {
    const trace = await expectSameBehaviour(wat(shifting));
    expect(trace).toContainEqual(['direct', [5], { value: 12 }]);
    expect(trace).toContainEqual(['elemExpr', [5], { value: 6 }]);
    expect(trace).toContainEqual(['viaGlobal', [5], { value: 15 }]);
    expect(trace).toContainEqual(['passive', [5], { value: 10 }]);
    expect(trace).toContainEqual(['started', [], { value: 40 }]);
    expect(trace).toContainEqual(['exportedInc', [5], { value: 6 }]);
  });

  it('without any import, the fuel import becomes function 0', async () => {
    await expectSameBehaviour(
      wat(shifting.replace('(import "platform" "now" (func $now (result f64)))', '(func $now (result f64) (f64.const 3))')),
    );
  });
});

describe('every opcode family decodes', () => {
  const families = `(module
  (type $pair (func (param i32) (result i32 i32)))
  (type $unary (func (param i32) (result i32)))
  (memory 1)
  (data $d "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
  (tag $oops (param i32))
  (table $t 4 funcref)
  (elem $e func $swap $sum)
  (func $swap (type $pair) (i32.const 7) (local.get 0))
  (func $sum (type $unary) (i32.add (local.get 0) (i32.const 100)))
  (func (export "simd") (param i32) (result i32)
    (v128.store (i32.const 32) (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (v128.load (i32.const 0)) (v128.const i32x4 1 2 3 4)))
    (v128.store16_lane 3 (i32.const 64) (v128.load8_lane 2 (i32.const 1) (v128.load32_zero (i32.const 4))))
    (i32.add (i32.add (i32x4.extract_lane 1 (v128.load offset=32 align=4 (i32.const 0))) (i32.load16_u (i32.const 64)))
      (i32.add (i32x4.extract_lane 2 (i32x4.replace_lane 2 (i32x4.splat (local.get 0)) (i32.const 9)))
        (i32.add (i8x16.extract_lane_u 0 (i8x16.popcnt (v128.load (i32.const 0))))
          (i32x4.extract_lane 0 (i32x4.dot_i16x8_s (v128.load (i32.const 100)) (i16x8.splat (local.get 0))))))))
  (func (export "blocks") (param i32) (result i32)
    (local.get 0)
    (block (param i32) (result i32 i32) (call $swap))
    (i32.add)
    (block $out (result i32)
      (block $a (block $b (block $c (br_table $c $b $a (local.get 0))) (br $out (i32.const 10))) (br $out (i32.const 20)))
      (i32.const 30))
    (i32.add)
    (i32.const 0)
    (loop $l (param i32) (result i32) (i32.add (i32.const 1)) (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 10))))
    (i32.add)
    (select (result i32) (i32.const 3) (i32.const 4) (local.get 0))
    (i32.add))
  (func (export "numeric") (param i32) (result i64)
    (i64.add (i64.extend32_s (i64.extend_i32_u (i32.extend8_s (local.get 0))))
      (i64.add (i64.trunc_sat_f64_s (f64.const 1e20)) (i64.extend_i32_s (i32.trunc_sat_f32_u (f32.const -3.5))))))
  (func (export "bulk") (param i32) (result i32)
    (memory.init $d (i32.const 100) (i32.const 2) (i32.const 4))
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 4))
    (memory.fill (i32.const 202) (local.get 0) (i32.const 1))
    (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 2))
    (table.copy $t $t (i32.const 2) (i32.const 0) (i32.const 2))
    (drop (table.grow $t (ref.null func) (i32.const 1)))
    (table.fill $t (i32.const 4) (table.get $t (i32.const 3)) (i32.const 1))
    (i32.add (i32.add (i32.load (i32.const 200)) (table.size $t))
      (i32.add (memory.size) (call_indirect $t (type $unary) (local.get 0) (i32.const 4)))))
  (func (export "drops") (data.drop $d) (elem.drop $e))
  (func (export "atomics") (param i32) (result i32)
    (atomic.fence)
    (drop (i32.atomic.rmw.add (i32.const 8) (local.get 0)))
    (i32.atomic.load (i32.const 8)))
  (func (export "tail") (param i32) (result i32) (return_call_indirect $t (type $unary) (local.get 0) (i32.const 1))))`;

  it('SIMD, blocks with type indices, br_table, typed select, bulk memory and tables, atomics, tail calls', async () => {
    const bytes = wat(families);
    expect(instrumentModule(bytes).notRecyclable).toEqual([expect.stringContaining('data.drop'), expect.stringContaining('elem.drop')]);
    await expectSameBehaviour(bytes);
  });
});
