/**
 * The registry contract on the Redis store, against a real redis-server, and what only a shared
 * store does: several nodes on one store, commits racing from two nodes, a node that missed the
 * change messages or whose log was trimmed, convergence, and a store that goes away and comes back.
 * Without redis-server on PATH the suite fails, naming it, unless NANO_SKIP_CLUSTER=1.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry, type RegistryChange, type RegistryState, type RegistryStore } from '../../src/registry/index.js';
import { registryKeys } from '../../src/registry/redis/keys.js';
import { advance } from '../../src/registry/redis/replica.js';
import { defineScripts, runRead } from '../../src/registry/redis/scripts.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { registryContract } from '../registry/contract.js';
import { version } from '../registry/version-fixture.js';
import { missingRedis, startRedis, stopAllRedis, type RunningRedis } from './redis.js';

const missing = missingRedis();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

let redis: RunningRedis;
const urls = new WeakMap<RegistryStore, string>();

async function node(url: string, nodeId?: string): Promise<RegistryStore> {
  const store = await openRegistry(url, { cacheDir: await tempProject(), nodeId, publicUrl: () => `http://${nodeId ?? 'node'}` });
  urls.set(store, url);
  return store;
}

describe.skipIf(skipped)(`the Redis store${skipped ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    if (missing !== undefined) throw new Error(`${missing}; set NANO_SKIP_CLUSTER=1 to skip the cluster suite`);
    redis = await startRedis();
  });
  afterAll(async () => {
    await stopAllRedis();
    await removeTempProjects();
  });

  registryContract('redis', {
    fresh: () => node(redis.url()),
    reopen: (store) => node(urls.get(store)!),
  });

  describe('several nodes on one store', () => {
    const opened: RegistryStore[] = [];
    const cluster = async (count: number, url = redis.url()) => {
      const nodes = await Promise.all(Array.from({ length: count }, (_, i) => node(url, `n${i}`)));
      opened.push(...nodes);
      return nodes;
    };
    const add = (name: string) => (draft: RegistryState) => {
      draft.functions[name] = { name, service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] };
    };
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('hands every node the revisions another committed, in order, and reports convergence', async () => {
      const [a, b, c] = await cluster(3);
      const seen: RegistryChange[] = [];
      b!.subscribe(async (change) => void seen.push(change));
      const { revision } = await a!.commit(add('f'));
      expect(await a!.converge(revision, 10_000)).toMatchObject({ revision: 1, nodes: 3, converged: 3, lagging: [] });
      for (const other of [b!, c!]) expect(other.get('f')).toEqual(a!.get('f'));
      await a!.commit((draft) => void delete draft.functions.f);
      // Each node applies it on its own time: waited for per node, not assumed.
      await expect.poll(() => [b!.revision, c!.revision]).toEqual([2, 2]);
      expect(seen).toEqual([
        { from: 0, to: 1, names: ['f'] },
        { from: 1, to: 2, names: ['f'] },
      ]);
      expect(c!.get('f')).toBeUndefined();
      expect((await a!.nodes()).map((n) => [n.id, n.url])).toEqual([
        ['n0', 'http://n0'],
        ['n1', 'http://n1'],
        ['n2', 'http://n2'],
      ]);
    });

    it('lands commits racing from two nodes, each run again on the state the other left', async () => {
      const [a, b] = await cluster(2);
      const racing = (store: RegistryStore, tag: string) =>
        Array.from({ length: 8 }, (_, i) =>
          store.commit((draft) => {
            add(`${tag}${i}`)(draft);
            return Object.keys(draft.functions).length;
          }),
        );
      const results = await Promise.all([...racing(a!, 'a'), ...racing(b!, 'b')]);
      expect(results.map((r) => r.revision).sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      // Each change saw every function committed before it: the count is its place in the order.
      const byRevision = [...results].sort((x, y) => x.revision - y.revision).map((r) => r.value);
      expect(byRevision).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      await expect.poll(() => [a!.revision, b!.revision]).toEqual([16, 16]);
      expect(b!.functions()).toEqual(a!.functions());
    });

    it('keeps a restarted node listed when the process it replaced leaves after it started', async () => {
      const url = redis.url();
      const old = await node(url, 'same');
      const restarted = await node(url, 'same');
      await old.close();
      expect((await restarted.nodes()).map((entry) => entry.id)).toEqual(['same']);
      await restarted.close();
      // The node that wrote the entry removes it as it leaves.
      const observer = await node(url, 'observer');
      expect((await observer.nodes()).map((entry) => entry.id)).toEqual(['observer']);
      await observer.close();
    });

    it('catches up after losing its change messages (CLIENT KILL TYPE pubsub)', async () => {
      const [a, b] = await cluster(2);
      await a!.commit(add('f'));
      await expect.poll(() => b!.revision).toBe(1);
      redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await a!.commit(add('g'));
      await a!.commit(add('h'));
      await expect.poll(() => b!.revision).toBe(3);
      expect(b!.functions().map((fn) => fn.name)).toEqual(['f', 'g', 'h']);
    });

    it('reads the whole state when the log no longer reaches back to a node, one revision, never a mix', async () => {
      const url = redis.url();
      const [a] = await cluster(1, url);
      await a!.commit(add('f'));
      const atOne = a!.snapshot();
      const prefix = new URL(url).searchParams.get('prefix')!;
      const client = new Redis(redis.port, '127.0.0.1');
      try {
        const keys = registryKeys(prefix);
        defineScripts(client);
        const head = (await client.get(keys.head))!;
        await a!.commit(add('g'));
        await a!.commit((draft) => void delete draft.functions.f);
        expect(await runRead(client, keys, 1, head, false)).toMatchObject({
          kind: 'DELTA',
          names: ['g', 'f'],
          records: [expect.any(String), null],
        });
        await client.xtrim(keys.log, 'MAXLEN', 0);
        const whole = await runRead(client, keys, 1, head, false);
        expect(whole).toMatchObject({ kind: 'WHOLE', head: expect.stringMatching(/^3:/) });
        // A node holding revision 1 moves straight to 3: g added and f removed in one step.
        expect(advance({ ...atOne, head }, whole)).toMatchObject({ replica: { revision: 3 }, names: ['f', 'g'] });
        // A history that is not the store's (the store lost what the node holds) is read whole too.
        expect(await runRead(client, keys, 3, '3:another-commit', false)).toMatchObject({ kind: 'WHOLE' });
      } finally {
        client.disconnect();
      }
    });
  });

  it('never follows a store that lost its commits back: it serves on and refuses changes, saying why', async () => {
    const url = redis.url();
    const prefix = new URL(url).searchParams.get('prefix')!;
    const warnings: unknown[] = [];
    const a = await openRegistry(url, { cacheDir: await tempProject(), onListenerError: (error) => warnings.push(error) });
    try {
      await a.commit(
        (draft) =>
          void (draft.functions.f = { name: 'f', service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] }),
      );
      await a.commit(() => undefined);
      // Redis restarted without its data: every key of this registry is gone.
      for (const key of redis.cli('--scan', '--pattern', `*${prefix}*`).trim().split('\n').filter(Boolean)) redis.cli('DEL', key);
      await expect.poll(() => warnings.length).toBeGreaterThan(0);
      expect(String(warnings[0])).toContain('is at revision 0, behind this node');
      await expect(a.commit(() => undefined)).rejects.toMatchObject({
        code: 'RegistryUnavailable',
        message: expect.stringContaining('lost commits'),
        hint: expect.stringContaining('nano registry copy'),
      });
      expect(a.revision).toBe(2);
      expect(a.get('f')?.current).toBe(1);
    } finally {
      await a.close();
    }
  });

  it('keeps its state while the store is down, answers RegistryUnavailable, and resumes on the AOF', async () => {
    const durable = await startRedis({ appendOnly: true });
    const url = durable.url();
    const a = await node(url, 'a');
    try {
      await a.commit(
        (draft) =>
          void (draft.functions.f = { name: 'f', service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] }),
      );
      await durable.kill();
      await expect(a.commit(() => undefined)).rejects.toMatchObject({ code: 'RegistryUnavailable' });
      await expect(a.pending.put('p', '{}', 1000)).rejects.toMatchObject({ code: 'RegistryUnavailable' });
      expect(a.get('f')?.current).toBe(1);
      await durable.restart();
      await expect
        .poll(() =>
          a
            .commit(() => 'again')
            .then(
              (r) => r.revision,
              () => 0,
            ),
        )
        .toBe(2);
      const b = await node(url, 'b');
      expect(b.get('f')?.current).toBe(1);
      await b.close();
    } finally {
      await a.close();
      await durable.stop();
    }
  });
});
