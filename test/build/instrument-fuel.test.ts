/**
 * The instrumentation pass meters: a call that runs too long stops when the
 * host's fuel function throws, each loop iteration and function entry costs one
 * unit, and random loop programs give the same results however the host refills.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUEL_IMPORT, INITIAL_FUEL } from '../../src/build/instrument.js';
import { REPO_ROOT } from '../helpers/project.js';
import { instrumented, meteredHost, outcome, wat, type Fn } from './instrument-helpers.js';

describe('a call that runs too long is stopped by the host', () => {
  const cases: [string, string, unknown[], number][] = [
    ['an infinite loop in a nested function', '(func $spin (loop $l (br $l))) (func (export "run") (call $spin))', [], 3],
    [
      'a loop calling a function',
      `(func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
       (func (export "run") (local $i i32) (loop $l (local.set $i (call $step (local.get $i))) (br $l)))`,
      [],
      3,
    ],
    [
      'a long recursion without loops: fib(40)',
      `(func $fib (export "run") (param i32) (result i32)
         (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
           (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))`,
      [40],
      3,
    ],
    [
      'a loop filling memory',
      '(memory 1) (func (export "run") (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 65536)) (br $l)))',
      [],
      1,
    ],
  ];
  for (const [label, body, args, refills] of cases) {
    it(label, async () => {
      const { host, imports } = meteredHost(refills);
      const exports = await instrumented(`(module ${body})`, imports);
      expect(() => exports.run!(...args)).toThrow(host.error);
      expect(host.calls).toBe(refills + 1);
    });
  }

  it('examples/functions/stuck.wat', async () => {
    const { host, imports } = meteredHost(2);
    const exports = await instrumented(await readFile(join(REPO_ROOT, 'examples/functions/stuck.wat'), 'utf8'), imports);
    expect(() => exports._start!()).toThrow(host.error);
  });

  it('asks the host before every bulk operation, which may take milliseconds on its own', async () => {
    const { host, imports } = meteredHost(1000);
    const exports = await instrumented(
      `(module (memory 1) (table 4 funcref) (elem declare func $f) (func $f)
         (func (export "bulk")
           (memory.fill (i32.const 0) (i32.const 1) (i32.const 100))
           (memory.copy (i32.const 200) (i32.const 0) (i32.const 100))
           (table.fill (i32.const 0) (ref.func $f) (i32.const 2))
           (table.copy (i32.const 2) (i32.const 0) (i32.const 2))))`,
      imports,
    );
    exports.bulk!();
    expect(host.calls).toBe(4); // the entry's check has fuel left: only the four bulk operations ask
  });

  it('charges one unit per loop iteration and function entry', async () => {
    const { host, imports } = meteredHost(1000);
    const exports = await instrumented(
      `(module (func $fib (export "fib") (param i32) (result i32)
         (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
           (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
       (func (export "count") (param $n i32) (local $i i32)
         (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))`,
      imports,
    );
    exports.count!(INITIAL_FUEL * 10 - 1); // one entry and 10 * INITIAL_FUEL - 1 iterations
    expect(host.calls).toBe(10);
    expect(exports.fib!(20)).toBe(6765);
  });
});

describe('random loop programs', () => {
  const op = fc.constantFrom('i32.add', 'i32.sub', 'i32.mul', 'i32.xor', 'i32.rotl', 'i32.shr_u', 'i32.and', 'i32.or', 'i32.div_s');
  const operand = fc.oneof(
    fc.constantFrom('(local.get $a)', '(local.get $b)', '(local.get $i)', '(local.get $j)'),
    fc.integer({ min: -1000, max: 1000 }).map((n) => `(i32.const ${n})`),
  );
  const step = fc.tuple(op, operand).map(([name, value]) => `(local.set $acc (${name} (local.get $acc) ${value}))`);
  const program = fc.record({
    outer: fc.array(step, { minLength: 1, maxLength: 6 }),
    inner: fc.array(step, { maxLength: 4 }),
    count: fc.integer({ min: 0, max: 300 }),
    innerCount: fc.integer({ min: 0, max: 20 }),
    args: fc.tuple(fc.integer(), fc.integer()),
  });
  const loopWat = (p: { outer: string[]; inner: string[]; count: number; innerCount: number }) => `(module
    (func (export "run") (param $a i32) (param $b i32) (result i32) (local $i i32) (local $j i32) (local $acc i32)
      (block $done (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${p.count})))
        ${p.outer.join(' ')}
        (local.set $j (i32.const 0))
        (block $innerDone (loop $inner
          (br_if $innerDone (i32.ge_u (local.get $j) (i32.const ${p.innerCount})))
          ${p.inner.join(' ')}
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
      (local.get $acc)))`;

  it('give the same results instrumented, even with a host that refills one unit at a time', async () => {
    await fc.assert(
      fc.asyncProperty(program, async (p) => {
        const bytes = wat(loopWat(p));
        const original = (await WebAssembly.instantiate(bytes)).instance.exports as Record<string, Fn>;
        const metered = await instrumented(loopWat(p), { [FUEL_IMPORT.module]: { [FUEL_IMPORT.name]: () => 1 } });
        expect(outcome(() => metered.run!(...p.args))).toEqual(outcome(() => original.run!(...p.args)));
      }),
      { numRuns: 60, seed: 20261203 },
    );
  });
});
