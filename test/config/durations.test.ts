/**
 * One grammar of durations: the pattern in schema/nano.schema.json and parseDuration agree on every
 * sample, both ways, and what nano prints reads back to the same number of ms.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../../src/config/durations.js';

const schema = JSON.parse(readFileSync(new URL('../../schema/nano.schema.json', import.meta.url), 'utf8')) as {
  definitions: { duration: { anyOf: [unknown, { pattern: string }] } };
};
const schemaPattern = schema.definitions.duration.anyOf[1].pattern;
// JSON Schema patterns are ECMA-262 regular expressions; ajv compiles them with the u flag.
const schemaAccepts = (value: string) => new RegExp(schemaPattern, 'u').test(value);

const VALID: [string, number][] = [
  ['1', 1],
  ['1500', 1500],
  ['250ms', 250],
  ['5s', 5000],
  ['1.5s', 1500],
  ['1.50s', 1500],
  ['1.001s', 1001],
  ['0.5s', 500],
  ['1m', 60_000],
  ['1.5m', 90_000],
  ['0.0001m', 6],
  ['2m30s', 150_000],
  ['1m0.5s', 60_500],
  ['1h', 3_600_000],
  ['1h30m', 5_400_000],
  ['1d', 86_400_000],
  ['1d2h3m4s5ms', 93_784_005],
  ['0s1ms', 1],
  ['2.5h', 9_000_000],
];

const INVALID = [
  '',
  '0',
  '0ms',
  '0s',
  '0.0s',
  '00s',
  '05s',
  '-5s',
  '+5s',
  '.5s',
  '5.s',
  '1.5ms',
  '1.0001s',
  '1.00001m',
  '1.000001h',
  '1s2m',
  '5s5s',
  '1w',
  '5 s',
  ' 5s',
  '5S',
  'fast',
  's',
  'ms',
  '1e3',
  '0x10',
  '1_000',
];

describe('durations', () => {
  it('the schema carries the parser’s pattern', () => {
    expect(schemaPattern).toBe(DURATION_PATTERN);
  });

  it.each(VALID)('%s is %i ms for the parser and a duration for the schema', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(schemaAccepts(text)).toBe(true);
  });

  it.each(INVALID)('%j is refused by the parser and the schema', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(schemaAccepts(text)).toBe(false);
  });

  it('takes whole positive numbers of ms, and no other numbers', () => {
    expect(parseDuration(1500)).toBe(1500);
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) expect(parseDuration(value)).toBeUndefined();
  });

  it('prints the shortest exact rendering, which reads back to the same value', () => {
    expect([1, 999, 1000, 1500, 1234, 60_000, 90_000, 150_000, 3_600_000, 86_400_000].map(formatDuration)).toEqual([
      '1ms',
      '999ms',
      '1s',
      '1.5s',
      '1.234s',
      '1m',
      '1.5m',
      '2.5m',
      '1h',
      '1d',
    ]);
    for (let ms = 1; ms < 200_000; ms += 997) expect(parseDuration(formatDuration(ms))).toBe(ms);
    for (const ms of [59_999, 60_001, 3_599_999, 3_600_036, 86_399_999, 86_400_864, 2 ** 40]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
