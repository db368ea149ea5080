/** parseDeployRequest: one deploy may carry MAX_DEPLOY_FUNCTIONS (10,000) functions, and a name only once. */
import { describe, expect, it } from 'vitest';
import type { NanoError } from '../../src/errors.js';
import { parseDeployRequest } from '../../src/server/deploy-request.js';
import { MAX_DEPLOY_FUNCTIONS } from '../../src/server/limits.js';

function request(count: number, names = (i: number) => `f${i}`) {
  return {
    service: 'many',
    stage: 'dev',
    prune: true,
    functions: Array.from({ length: count }, (_, i) => ({
      name: names(i),
      sha256: 'a'.repeat(64),
      size: 40,
      entry: '_start',
      limits: { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 300_000, concurrency: null },
      routes: [],
    })),
  };
}

function refusal(body: unknown): NanoError {
  try {
    parseDeployRequest(body);
  } catch (error) {
    return error as NanoError;
  }
  throw new Error('accepted');
}

describe('parseDeployRequest', () => {
  it(`takes ${MAX_DEPLOY_FUNCTIONS} functions in one deploy, and refuses one more`, () => {
    expect(MAX_DEPLOY_FUNCTIONS).toBeGreaterThanOrEqual(10_000);
    expect(parseDeployRequest(request(MAX_DEPLOY_FUNCTIONS)).functions).toHaveLength(MAX_DEPLOY_FUNCTIONS);
    const error = refusal(request(MAX_DEPLOY_FUNCTIONS + 1));
    expect(error.code).toBe('RequestInvalid');
    expect(error.message).toContain(`must NOT have more than ${MAX_DEPLOY_FUNCTIONS} items`);
  });

  it('refuses a name given twice, naming it', () => {
    const error = refusal(request(5, (i) => (i === 4 ? 'f1' : `f${i}`)));
    expect(error.code).toBe('RequestInvalid');
    expect(error.message).toBe('the deploy request names function "f1" twice');
  });
});
