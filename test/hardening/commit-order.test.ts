/**
 * Issue 10, defect 1, at its root: the runtime's refusal of a module comes
 * before the registry is written. No module that the builder's checks accept
 * is refused by V8 today, so the executor's compile is made to refuse here: a
 * stand-in for a refusal the engine could add later, or one the checks miss.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NanoError } from '../../src/errors.js';
import { snapshotDir } from '../helpers/dir-snapshot.js';
import { closeInProcessPlatforms, inProcessPlatform } from '../helpers/in-process-platform.js';
import { removeTempProjects } from '../helpers/project.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeInProcessPlatforms();
  await removeTempProjects();
});

const refusal = () => new NanoError('BuildFailed', 'g cannot be deployed: the engine refused it', { value: 'g' });

describe('a refusal of the runtime', () => {
  it('comes before the registry write of a deploy: every file unchanged, the old version served', async () => {
    const { dataDir, platform, plan, executor } = await inProcessPlatform();
    await platform.commit(await plan(1));
    const id = await plan(2);
    const before = await snapshotDir(dataDir);
    vi.spyOn(executor, 'compile').mockRejectedValueOnce(refusal());
    await expect(platform.commit(id)).rejects.toThrow(/the engine refused it/);
    expect(await snapshotDir(dataDir)).toEqual(before);
    expect(platform.registry.get('g')?.current).toBe(1);
    expect((await executor.invoke('g')).value).toBe('1');
  });

  it('comes before the registry write of a rollback', async () => {
    const { dataDir, platform, plan, executor } = await inProcessPlatform();
    await platform.commit(await plan(1));
    await platform.commit(await plan(2));
    const before = await snapshotDir(dataDir);
    vi.spyOn(executor, 'compile').mockRejectedValueOnce(refusal());
    await expect(platform.rollback('g')).rejects.toThrow(/the engine refused it/);
    expect(await snapshotDir(dataDir)).toEqual(before);
    expect(platform.registry.get('g')?.current).toBe(2);
    expect((await executor.invoke('g')).value).toBe('2');
  });
});
