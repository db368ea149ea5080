import { describe, expect, it } from 'vitest';
import type { Signature } from '../../src/build/manifest.js';
import { NanoError } from '../../src/errors.js';
import { coerceArgs, parseJsonArgs, parseQueryArgs, renderResults } from '../../src/runtime/args.js';

const sum: Signature = { params: ['i32', 'i32'], results: ['i32'] };
const mixed: Signature = { params: ['i32', 'i64', 'f32', 'f64'], results: ['f64'] };

function badArguments(run: () => unknown): NanoError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NanoError);
    expect((error as NanoError).code).toBe('BadArguments');
    return error as NanoError;
  }
  throw new Error('expected BadArguments');
}

describe('parseQueryArgs', () => {
  it('reads the seed form', () => {
    expect(parseQueryArgs('sum', sum, '5,2')).toEqual([5, 2]);
    expect(parseQueryArgs('sum', sum, '?5, 2')).toEqual([5, 2]);
    expect(parseQueryArgs('sum', sum, '5%2C-2')).toEqual([5, -2]);
  });

  it('reads an empty query as no arguments', () => {
    expect(parseQueryArgs('answer', { params: [], results: ['i32'] }, '')).toEqual([]);
  });

  it('names the signature on a wrong count', () => {
    expect(badArguments(() => parseQueryArgs('sum', sum, '5')).message).toBe('sum expects 2 arguments, got 1: sum(i32, i32) -> i32');
    expect(badArguments(() => parseQueryArgs('sum', sum, '1,2,3')).message).toBe('sum expects 2 arguments, got 3: sum(i32, i32) -> i32');
  });

  it('refuses a non-number, naming the argument and the signature', () => {
    const error = badArguments(() => parseQueryArgs('sum', sum, '5,x'));
    expect(error.message).toMatch(/^sum argument 2 must be an i32 .*got "x": sum\(i32, i32\) -> i32$/);
    expect(error.value).toBe('x');
    badArguments(() => parseQueryArgs('sum', sum, '5,'));
    badArguments(() => parseQueryArgs('sum', sum, '5,1.5'));
    badArguments(() => parseQueryArgs('sum', sum, '5,%E0%A4%A'));
  });

  it('parses every value type, i64 exactly', () => {
    expect(parseQueryArgs('m', mixed, '-7,9000000000000000000,1.5,-2e-3')).toEqual([-7, 9000000000000000000n, 1.5, -0.002]);
    expect(parseQueryArgs('m', mixed, '0x10,-0x10,NaN,-Infinity')).toEqual([16, -16n, Number.NaN, -Infinity]);
  });
});

describe('coerceArgs', () => {
  it('wraps i32 and i64 as Wasm sees the bits', () => {
    expect(coerceArgs('sum', sum, [4294967295, 2147483648])).toEqual([-1, -2147483648]);
    expect(coerceArgs('m', mixed, [0, '18446744073709551615', 0, 0])[1]).toBe(-1n);
  });

  it('refuses integers out of range and i64 numbers that lost precision', () => {
    badArguments(() => coerceArgs('sum', sum, [4294967296, 0]));
    badArguments(() => coerceArgs('sum', sum, [-2147483649, 0]));
    badArguments(() => coerceArgs('m', mixed, [0, 2 ** 60, 0, 0]));
    badArguments(() => coerceArgs('m', mixed, [0, '18446744073709551616', 0, 0]));
  });

  it('accepts BigInts and digit strings for i64', () => {
    expect(coerceArgs('m', mixed, [1, 3000000000n, 2, 3])).toEqual([1, 3000000000n, 2, 3]);
    expect(coerceArgs('m', mixed, ['1', '-9223372036854775808', '2', '3'])).toEqual([1, -9223372036854775808n, 2, 3]);
  });

  it('refuses non-numbers of any kind', () => {
    for (const value of [null, true, {}, [], '', ' ', '1_000']) badArguments(() => coerceArgs('sum', sum, [value, 1]));
  });
});

describe('parseJsonArgs', () => {
  it('reads an array or {"args": [...]}', () => {
    expect(parseJsonArgs('sum', sum, '[5,2]')).toEqual([5, 2]);
    expect(parseJsonArgs('sum', sum, '{"args":[5,2]}')).toEqual([5, 2]);
    expect(parseJsonArgs('m', mixed, '[1, "9000000000000000000", 0.5, 2]')[1]).toBe(9000000000000000000n);
  });

  it('reads an empty body as no arguments', () => {
    expect(parseJsonArgs('answer', { params: [], results: ['i32'] }, '  ')).toEqual([]);
  });

  it('refuses malformed JSON and other shapes, naming the signature', () => {
    expect(badArguments(() => parseJsonArgs('sum', sum, '[5,')).message).toMatch(
      /^sum: the request body is not valid JSON .*: sum\(i32, i32\) -> i32$/,
    );
    expect(badArguments(() => parseJsonArgs('sum', sum, '{"a":1}')).message).toMatch(/sum\(i32, i32\) -> i32$/);
    expect(badArguments(() => parseJsonArgs('sum', sum, '5')).message).toMatch(/sum\(i32, i32\) -> i32$/);
    expect(badArguments(() => parseJsonArgs('sum', sum, '[5]')).message).toBe('sum expects 2 arguments, got 1: sum(i32, i32) -> i32');
    badArguments(() => parseJsonArgs('sum', sum, '["5", "two"]'));
  });
});

describe('renderResults', () => {
  it('renders numbers as JS does, BigInts in decimal, none as empty', () => {
    expect(renderResults([42])).toBe('42');
    expect(renderResults([0.5])).toBe('0.5');
    expect(renderResults([9000000000000000000n])).toBe('9000000000000000000');
    expect(renderResults([])).toBe('');
    expect(renderResults([1, 2n])).toBe('1,2');
  });
});
