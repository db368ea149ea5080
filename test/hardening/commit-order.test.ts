/**
 * Issue 10, defect 1, at its root: the runtime's refusal of a module comes
 * before the registry is written. No module that the builder's checks accept
 * is refused by V8 today, so the executor's compile is made to refuse here: a
 * stand-in for a refusal the engine could add later, or one the checks miss.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NanoError } from '../../src/errors.js';
import { FileRegistry } from '../../src/registry/index.js';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { Platform, RouteTable } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { snapshotDir } from '../helpers/dir-snapshot.js';
import { deployRequest } from '../helpers/platform.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';

let executor: Executor | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await executor?.close();
  executor = undefined;
  await removeTempProjects();
});

const constant = (value: number) => `(module (func (export "_start") (result i32) i32.const ${value}))`;

async function setup() {
  const dir = await tempProject();
  const dataDir = join(dir, 'data');
  executor = createExecutor({ poolSize: 1 });
  const platform = new Platform({
    registry: await FileRegistry.open(dataDir),
    executor,
    routes: new RouteTable(),
    publicUrl: () => 'http://x',
  });
  const deploy = async (value: number) => {
    await writeFiles(dir, { 'nano.yml': yml('service: s', 'functions:', '  g: { source: g.wat }'), 'g.wat': constant(value) });
    const built = await build(dir);
    const { id, missing } = await platform.plan(deployRequest(built));
    for (const sha256 of missing) await platform.upload(sha256, built.artifacts.get('g')!);
    return () => platform.commit(id);
  };
  return { dataDir, platform, deploy, executor };
}

const refusal = () => new NanoError('BuildFailed', 'g cannot be deployed: the engine refused it', { value: 'g' });

describe('a refusal of the runtime', () => {
  it('comes before the registry write of a deploy: every file unchanged, the old version served', async () => {
    const { dataDir, platform, deploy, executor } = await setup();
    await (
      await deploy(1)
    )();
    const commit = await deploy(2);
    const before = await snapshotDir(dataDir);
    vi.spyOn(executor, 'compile').mockRejectedValueOnce(refusal());
    await expect(commit()).rejects.toThrow(/the engine refused it/);
    expect(await snapshotDir(dataDir)).toEqual(before);
    expect(platform.registry.get('g')?.current).toBe(1);
    expect((await executor.invoke('g')).value).toBe('1');
  });

  it('comes before the registry write of a rollback', async () => {
    const { dataDir, platform, deploy, executor } = await setup();
    await (
      await deploy(1)
    )();
    await (
      await deploy(2)
    )();
    const before = await snapshotDir(dataDir);
    vi.spyOn(executor, 'compile').mockRejectedValueOnce(refusal());
    await expect(platform.rollback('g')).rejects.toThrow(/the engine refused it/);
    expect(await snapshotDir(dataDir)).toEqual(before);
    expect(platform.registry.get('g')?.current).toBe(2);
    expect((await executor.invoke('g')).value).toBe('2');
  });
});
