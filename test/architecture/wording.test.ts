/**
 * A message worded in several places drifts: "no function named …" is worded once, by
 * `functionNotFound` in src/errors.ts, and every lookup (build, executor, platform, data plane, CLI)
 * throws what it returns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionNotFound } from '../../src/errors.js';

const ROOT = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('one wording', () => {
  it('"no function named" is written only in src/errors.ts', () => {
    const wording = sourceFiles(join(ROOT, 'src'))
      .filter((file) => readFileSync(file, 'utf8').includes('no function named'))
      .map((file) => relative(ROOT, file));
    expect(wording).toEqual(['src/errors.ts']);
  });

  it('names one function, or several and where they were looked for', () => {
    const one = functionNotFound('sum', { hint: '`nano info` lists them' });
    expect([one.code, one.message, one.value, one.hint]).toEqual([
      'FunctionNotFound',
      'no function named "sum"',
      'sum',
      '`nano info` lists them',
    ]);
    const several = functionNotFound(['a', 'b'], { in: 'nano.yml' });
    expect([several.message, several.value]).toEqual(['no function named "a", "b" in nano.yml', ['a', 'b']]);
  });
});
