/** buildStatusOf: what the console's build banner shows of a reload report — every problem with its location. */
import { describe, expect, it } from 'vitest';
import type { ReloadReport } from '../../src/dev/index.js';
import { NanoError, ProblemsError } from '../../src/errors.js';
import { buildStatusOf } from '../../src/observe/console/index.js';

/** A report as the reloader makes it; the configuration in force plays no part in the status. */
function report(fields: Partial<ReloadReport>): ReloadReport {
  return { trigger: [], durationMs: 12, changes: [], failures: [], config: {} as ReloadReport['config'], ...fields };
}

const AT = new Date('2026-12-03T04:00:00Z');

describe('buildStatusOf', () => {
  it('is ok when nothing failed', () => {
    expect(buildStatusOf(report({ trigger: ['sum.wat'] }), AT)).toEqual({
      ok: true,
      at: '2026-12-03T04:00:00.000Z',
      durationMs: 12,
      trigger: ['sum.wat'],
      failures: [],
    });
  });

  it('keeps each failed function with its located problems and what still serves', () => {
    const status = buildStatusOf(
      report({
        failures: [
          {
            name: 'sum',
            serving: 2,
            repeated: false,
            problems: [{ file: 'functions/sum.wat', line: 3, column: 5, message: 'unexpected token', detail: '  i32.cnst\n  ^' }],
          },
        ],
      }),
      AT,
    );
    expect(status.ok).toBe(false);
    expect(status.failures).toEqual([
      {
        name: 'sum',
        serving: 2,
        problems: [
          { function: 'sum', file: 'functions/sum.wat', line: 3, column: 5, message: 'unexpected token', detail: '  i32.cnst\n  ^' },
        ],
      },
    ]);
  });

  it('names an invalid nano.yml by its problems, and an unexpected error by its message', () => {
    const configError = new ProblemsError('ConfigInvalid', 'nano.yml is invalid:', [
      { file: 'nano.yml', line: 7, column: 14, path: 'functions.sum.timeout', message: 'must be a duration' },
    ]);
    const status = buildStatusOf(report({ configError, error: new Error('disk full') }), AT);
    expect(status.ok).toBe(false);
    expect(status.configError).toEqual({
      message: 'nano.yml is invalid:',
      problems: [{ file: 'nano.yml', line: 7, column: 14, path: 'functions.sum.timeout', message: 'must be a duration' }],
    });
    expect(status.error).toBe('disk full');
    expect(buildStatusOf(report({ configError: new NanoError('ConfigNotFound', 'no nano.yml here') }), AT).configError).toEqual({
      message: 'no nano.yml here',
      problems: [],
    });
  });
});
