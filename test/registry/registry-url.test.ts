/** Registry URLs: what a Redis URL means to nano, what it refuses, and how it is printed. */
import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/registry/redis/connection.js';
import { maskRegistryUrl } from '../../src/registry/registry-url.js';
import { convergenceText } from '../../src/cli/format.js';

describe('a Redis registry URL', () => {
  it('takes the prefix out of what the client sees, and masks the password wherever it is printed', () => {
    expect(parseRedisUrl('redis://u:s3cret@db.local:6380/2?prefix=prod')).toEqual({
      clientUrl: 'redis://u:s3cret@db.local:6380/2',
      prefix: 'prod',
      display: 'redis://u:***@db.local:6380/2?prefix=prod',
    });
    expect(parseRedisUrl('rediss://db.local:6379')).toMatchObject({ clientUrl: 'rediss://db.local:6379', prefix: 'nano' });
    expect(maskRegistryUrl('redis://:pw@h:1')).toBe('redis://:***@h:1');
    expect(maskRegistryUrl('file:./data')).toBe('file:./data');
  });

  it('refuses a prefix that is not a plain name, and parameters it does not know', () => {
    expect(() => parseRedisUrl('redis://h:1?prefix=a%20b')).toThrow(/prefix "a b" is not a valid key prefix/);
    expect(() => parseRedisUrl('redis://h:1?prefx=a')).toThrow(/unknown registry URL parameter "prefx"/);
    expect(() => parseRedisUrl('redis://h:1?prefix=a&tls=1')).toThrowError(expect.objectContaining({ code: 'RegistryUnsupported' }));
  });
});

describe('the convergence line of nano deploy and nano rollback', () => {
  it('says how many nodes serve a change, and which do not yet', () => {
    expect(convergenceText({ revision: 4, nodes: 3, converged: 3, ms: 8.6, lagging: [] })).toBe('live on 3/3 nodes in 9 ms');
    expect(convergenceText({ revision: 4, nodes: 3, converged: 2, ms: 2000, lagging: ['n2'] })).toBe(
      'live on 2/3 nodes in 2000 ms; not yet on n2 (each catches up on its own, or turns not ready)',
    );
    // One node: nothing to say, its change is live when the command answers.
    expect(convergenceText({ revision: 4, nodes: 1, converged: 1, ms: 0, lagging: [] })).toBeUndefined();
    expect(convergenceText(undefined)).toBeUndefined();
  });
});
