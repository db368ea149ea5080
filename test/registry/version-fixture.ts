/** A stored version as the registry tests need it: only its number and deployment differ. */
import type { VersionRecord } from '../../src/registry/index.js';

export function version(n: number): VersionRecord {
  return {
    version: n,
    sha256: 'a'.repeat(64),
    size: 1,
    createdAt: new Date(0).toISOString(),
    entry: '_start',
    signature: { params: [], results: [] },
    limits: { memoryPages: 1, timeoutMs: 100, cacheTtlMs: 100, concurrency: null },
    routes: [],
    deployment: `d${n}`,
  };
}
