/** applyDeploy: the deployment history records what changed, not every function of the request. */
import { describe, expect, it } from 'vitest';
import { emptyState } from '../../src/registry/registry-state.js';
import { applyDeploy, type NewVersion } from '../../src/server/apply-deploy.js';
import type { DeployRequest } from '../../src/server/control-api.js';

const limits = { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 300_000, concurrency: null };

function deploy(shas: Record<string, string>) {
  const functions = Object.entries(shas).map(([name, sha]) => ({
    name,
    sha256: sha.repeat(64),
    size: 40,
    entry: '_start',
    limits,
    routes: [],
  }));
  const request: DeployRequest = { service: 'many', stage: 'dev', prune: true, functions };
  const records = new Map<string, { record: NewVersion }>(
    functions.map((fn) => [
      fn.name,
      { record: { sha256: fn.sha256, size: fn.size, entry: fn.entry, signature: { params: [], results: ['i32'] }, limits, routes: [] } },
    ]),
  );
  return { request, records };
}

describe('applyDeploy', () => {
  it('answers every function of the request, and records only the changed ones in the history', () => {
    const state = emptyState();
    const first = deploy({ a: 'a', b: 'b', c: 'c' });
    applyDeploy(state, { id: 'd1', ...first, now: '2026-01-01T00:00:00.000Z', unavailable: new Map() });
    const second = deploy({ a: 'a', b: 'd', c: 'c' });
    const changes = applyDeploy(state, { id: 'd2', ...second, now: '2026-01-01T00:01:00.000Z', unavailable: new Map() });

    expect(changes).toEqual([
      { name: 'a', version: 1, change: 'unchanged' },
      { name: 'b', version: 2, change: 'updated' },
      { name: 'c', version: 1, change: 'unchanged' },
    ]);
    expect(state.deployments.map((d) => d.changes)).toEqual([
      [
        { name: 'a', version: 1, change: 'created' },
        { name: 'b', version: 1, change: 'created' },
        { name: 'c', version: 1, change: 'created' },
      ],
      [{ name: 'b', version: 2, change: 'updated' }],
    ]);
  });
});
