/**
 * The platform applies every revision of its registry through one path
 * (revision-applier.ts): its own commits, and a revision committed to the store
 * by someone else, as another node of a shared registry will.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { closeInProcessPlatforms, inProcessPlatform } from '../helpers/in-process-platform.js';
import { removeTempProjects } from '../helpers/project.js';

afterEach(async () => {
  await closeInProcessPlatforms();
  await removeTempProjects();
});

describe('the platform follows its registry', () => {
  it('serves a revision committed straight to the store, and marks a version it cannot load unavailable', async () => {
    const { store, platform, executor, buildG, plan } = await inProcessPlatform();
    await platform.commit(await plan(1));
    expect((await executor.invoke('g')).value).toBe('1');

    // Another writer: the artifact, then a commit that makes it current.
    const bytes = (await buildG(2)).artifacts.get('g')!;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await store.artifacts.put(sha256, bytes);
    const { revision } = await store.commit((draft) => {
      const g = draft.functions.g!;
      g.versions.push({ ...g.versions[0]!, version: 2, sha256, size: bytes.length });
      g.current = 2;
    });
    expect(revision).toBe(2);
    // Applied before the commit resolved.
    expect((await executor.invoke('g')).value).toBe('2');

    await store.commit((draft) => {
      const g = draft.functions.g!;
      g.versions.push({ ...g.versions[0]!, version: 3, sha256: 'e'.repeat(64) });
      g.current = 3;
    });
    expect(platform.unavailableList()).toEqual([{ name: 'g', reason: expect.stringContaining('not in the registry') as string }]);
    expect(executor.has('g')).toBe(false);

    // A deploy replaces it, as it does after a restart.
    await platform.commit(await plan(4));
    expect(platform.unavailableList()).toEqual([]);
    expect((await executor.invoke('g')).value).toBe('4');
  });

  it('commits a plan once: a second commit of it is NotFound and changes nothing', async () => {
    const { store, platform, plan } = await inProcessPlatform();
    const id = await plan(1);
    const [first, second] = await Promise.allSettled([platform.commit(id), platform.commit(id)]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { functions: [{ name: 'g', version: 1, change: 'created' }] } });
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'NotFound' } });
    expect(store.revision).toBe(1);
  });

  it('rolls back and removes through the registry, choosing the target on the state it commits to', async () => {
    const { store, platform, executor, plan } = await inProcessPlatform();
    await platform.commit(await plan(1));
    await platform.commit(await plan(2));
    expect(await platform.rollback('g')).toMatchObject({ name: 'g', from: 2, version: 1, revision: 3, convergence: { converged: 1 } });
    expect((await executor.invoke('g')).value).toBe('1');
    await expect(platform.rollback('g')).rejects.toMatchObject({ code: 'NotFound', message: 'g has no version before v1' });
    expect(await platform.remove('g')).toMatchObject({ name: 'g', removed: true, revision: 4 });
    expect(executor.has('g')).toBe(false);
    await expect(platform.remove('g')).rejects.toMatchObject({ code: 'FunctionNotFound' });
    expect(store.revision).toBe(4);
  });
});
