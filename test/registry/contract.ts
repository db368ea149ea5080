/**
 * What every registry store promises the platform (src/registry/registry-store.ts),
 * as one suite that each store's test file runs against its own store:
 * file-store.test.ts today, the Redis store next.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_DEPLOYMENTS, MAX_VERSIONS, nextVersion, type RegistryChange, type RegistryStore } from '../../src/registry/index.js';
import type { DeploymentRecord, FunctionRecord } from '../../src/registry/index.js';
import { version } from './version-fixture.js';

export interface ContractTarget {
  /** A store over fresh, empty storage. */
  fresh(): Promise<RegistryStore>;
  /** Another store over the same storage as `store` (a restart, or another node). */
  reopen(store: RegistryStore): Promise<RegistryStore>;
}

function fnWith(name: string, versions: number[], current = versions[versions.length - 1]!): FunctionRecord {
  return { name, service: 'demo', stage: 'dev', current, updatedAt: 'now', versions: versions.map(version) };
}

const deployment = (id: string): DeploymentRecord => ({ id, at: new Date(0).toISOString(), service: 'demo', changes: [] });

export function registryContract(label: string, target: ContractTarget): void {
  describe(`RegistryStore contract: ${label}`, () => {
    const opened: RegistryStore[] = [];
    const fresh = async () => opened[opened.push(await target.fresh()) - 1]!;
    const reopen = async (store: RegistryStore) => opened[opened.push(await target.reopen(store)) - 1]!;
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('starts empty at revision 0, and commits several functions at once', async () => {
      const store = await fresh();
      expect(store.revision).toBe(0);
      expect(store.functions()).toEqual([]);
      const done = await store.commit((draft) => {
        draft.functions.b = fnWith('b', [1]);
        draft.functions.a = fnWith('a', [1]);
        return 'ok';
      });
      expect(done).toEqual({ value: 'ok', revision: 1 });
      expect(store.functions().map((fn) => fn.name)).toEqual(['a', 'b']);
      expect(store.get('a')?.current).toBe(1);
      expect(store.get('missing')).toBeUndefined();
    });

    it('adds 1 to the revision per commit, and keeps it across a reopen', async () => {
      const store = await fresh();
      for (const name of ['a', 'b', 'c']) {
        await store.commit((draft) => {
          draft.functions[name] = fnWith(name, [1]);
        });
      }
      // A commit that changes no function is a revision too.
      expect((await store.commit(() => undefined)).revision).toBe(4);
      const again = await reopen(store);
      expect(again.revision).toBe(4);
      expect(again.functions().map((fn) => fn.name)).toEqual(['a', 'b', 'c']);
      expect((await again.commit(() => undefined)).revision).toBe(5);
    });

    it('writes nothing and keeps the revision when the change throws, and takes the next commit', async () => {
      const store = await fresh();
      await store.commit((draft) => {
        draft.functions.a = fnWith('a', [1]);
      });
      await expect(
        store.commit((draft) => {
          delete draft.functions.a;
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(store.revision).toBe(1);
      expect(store.get('a')).toBeDefined();
      expect((await reopen(store)).get('a')).toBeDefined();
      await store.commit((draft) => {
        delete draft.functions.a;
      });
      expect(store.get('a')).toBeUndefined();
    });

    it('writes nothing when beforeWrite refuses, which sees the change and its draft', async () => {
      const store = await fresh();
      const seen: unknown[] = [];
      await expect(
        store.commit(
          (draft) => {
            draft.functions.a = fnWith('a', [1]);
            return 7;
          },
          {
            beforeWrite: (value, draft) => {
              seen.push(value, Object.keys(draft.functions));
              return Promise.reject(new Error('the engine refused it'));
            },
          },
        ),
      ).rejects.toThrow('the engine refused it');
      expect(seen).toEqual([7, ['a']]);
      expect(store.revision).toBe(0);
      expect(store.get('a')).toBeUndefined();
      expect((await reopen(store)).revision).toBe(0);
    });

    it(`keeps the newest ${MAX_VERSIONS} versions and always the current one`, async () => {
      const store = await fresh();
      await store.commit((draft) => {
        draft.functions.f = fnWith(
          'f',
          Array.from({ length: 30 }, (_, i) => i + 1),
          2,
        );
      });
      const kept = store.get('f')!.versions.map((v) => v.version);
      expect(kept).toContain(2);
      expect(kept.filter((v) => v !== 2)).toEqual(Array.from({ length: MAX_VERSIONS }, (_, i) => 30 - MAX_VERSIONS + i + 1));
    });

    it(`keeps the newest ${MAX_DEPLOYMENTS} deployments`, async () => {
      const store = await fresh();
      await store.commit((draft) => {
        for (let i = 1; i <= MAX_DEPLOYMENTS + 5; i++) draft.deployments.push(deployment(`d${i}`));
      });
      const ids = (await store.commit((draft) => draft.deployments.map((d) => d.id))).value;
      expect(ids).toHaveLength(MAX_DEPLOYMENTS);
      expect(ids[0]).toBe('d6');
      expect(ids.at(-1)).toBe(`d${MAX_DEPLOYMENTS + 5}`);
    });

    it('never gives a version number twice, even after a remove and a reopen', async () => {
      const store = await fresh();
      await store.commit((draft) => {
        draft.functions.f = fnWith('f', [1, 2, 3, 4]);
      });
      await store.commit((draft) => {
        delete draft.functions.f;
      });
      expect((await store.commit((draft) => nextVersion(draft, 'f'))).value).toBe(5);
      // A change cannot lower a number the registry has given.
      await store.commit((draft) => {
        draft.lastVersions = {};
      });
      expect((await (await reopen(store)).commit((draft) => nextVersion(draft, 'f'))).value).toBe(5);
    });

    it('lands racing commits one after the other, with distinct revisions in order', async () => {
      const store = await fresh();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.commit((draft) => {
            // Each sees the one before: a change is never run on a stale state.
            const count = Object.keys(draft.functions).length;
            draft.functions[`f${i}`] = fnWith(`f${i}`, [1]);
            return count;
          }),
        ),
      );
      expect(results.map((r) => r.revision)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(results.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect((await reopen(store)).functions()).toHaveLength(10);
    });

    it('hands subscribers every revision in order, with the names changed, before the commit resolves', async () => {
      const store = await fresh();
      const seen: RegistryChange[] = [];
      const unsubscribe = store.subscribe(async (change) => {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(change);
      });
      await store.commit((draft) => {
        draft.functions.a = fnWith('a', [1]);
        draft.functions.b = fnWith('b', [1]);
      });
      expect(seen).toEqual([{ from: 0, to: 1, names: ['a', 'b'] }]);
      await Promise.all([
        store.commit((draft) => {
          draft.functions.a!.current = 1;
          draft.functions.a!.updatedAt = 'later';
        }),
        store.commit((draft) => {
          delete draft.functions.b;
        }),
        store.commit(() => undefined),
      ]);
      expect(seen.slice(1)).toEqual([
        { from: 1, to: 2, names: ['a'] },
        { from: 2, to: 3, names: ['b'] },
        { from: 3, to: 4, names: [] },
      ]);
      // A refused commit is no revision.
      await store
        .commit(() => {
          throw new Error('refused');
        })
        .catch(() => undefined);
      unsubscribe();
      await store.commit(() => undefined);
      expect(seen).toHaveLength(4);
    });

    it('keeps a pending deploy until a commit consumes it; a second commit of it is NotFound', async () => {
      const store = await fresh();
      await store.pending.put('p1', '{"service":"demo"}', 60_000);
      expect(await store.pending.get('p1')).toBe('{"service":"demo"}');
      expect(await store.pending.get('nope')).toBeUndefined();

      // A refused commit leaves it for the next try.
      await expect(store.commit(() => 0, { consumes: 'p1', beforeWrite: () => Promise.reject(new Error('no')) })).rejects.toThrow('no');
      expect(await store.pending.get('p1')).toBeDefined();

      const [first, second] = await Promise.allSettled([
        store.commit(() => 1, { consumes: 'p1' }),
        store.commit(() => 2, { consumes: 'p1' }),
      ]);
      expect(first).toMatchObject({ status: 'fulfilled', value: { value: 1, revision: 1 } });
      expect(second).toMatchObject({ status: 'rejected', reason: { code: 'NotFound' } });
      expect(store.revision).toBe(1);
      expect(await store.pending.get('p1')).toBeUndefined();
      await expect(store.commit(() => 3, { consumes: 'never-planned' })).rejects.toMatchObject({ code: 'NotFound' });
    });

    it('forgets a pending deploy after its TTL, and take gives it out once', async () => {
      const store = await fresh();
      await store.pending.put('short', 'x', 1);
      await expect.poll(() => store.pending.get('short')).toBeUndefined();
      await expect(store.commit(() => 1, { consumes: 'short' })).rejects.toMatchObject({ code: 'NotFound' });
      await store.pending.put('once', 'y', 60_000);
      expect(await Promise.all([store.pending.take('once'), store.pending.take('once')])).toEqual(['y', undefined]);
    });

    it('stores artifacts under their hash once and refuses bytes that do not match it', async () => {
      const store = await fresh();
      const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
      const digest = createHash('sha256').update(bytes).digest('hex');
      expect(await store.artifacts.has(digest)).toBe(false);
      expect(await store.artifacts.put(digest, bytes)).toEqual({ created: true });
      expect(await store.artifacts.put(digest, bytes)).toEqual({ created: false });
      expect(await store.artifacts.get(digest)).toEqual(bytes);
      await expect(store.artifacts.put('c'.repeat(64), bytes)).rejects.toMatchObject({ code: 'RequestInvalid' });
      expect(await store.artifacts.has('c'.repeat(64))).toBe(false);
      await expect(store.artifacts.get('d'.repeat(64))).rejects.toMatchObject({ code: 'NotFound' });
      expect(await (await reopen(store)).artifacts.get(digest)).toEqual(bytes);
    });

    it('lists this node and its revision', async () => {
      const store = await fresh();
      await store.commit(() => undefined);
      const nodes = await store.nodes();
      expect(nodes).toHaveLength(1);
      expect(nodes[0]).toMatchObject({ revision: 1 });
    });
  });
}
