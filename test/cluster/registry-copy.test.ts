/**
 * `nano registry copy`: a one-node platform's data folder into a Redis registry and back, with every
 * function, version, version number and artifact; a destination that holds anything is refused and
 * left exactly as it was; a source that is not there is named. Real redis-server; without it the
 * suite fails, naming it, unless NANO_SKIP_CLUSTER=1.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openRegistry } from '../../src/registry/index.js';
import { build, projectYaml } from '../helpers/build.js';
import { snapshotDir } from '../helpers/dir-snapshot.js';
import { captureIo } from '../helpers/io.js';
import { deploy, startServer } from '../helpers/platform.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { busyWat } from '../helpers/wat.js';
import { missingRedis, startRedis, stopAllRedis, type RunningRedis } from './redis.js';

const missing = missingRedis();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

async function nano(args: string[]) {
  const io = captureIo({ cwd: await tempProject() });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** Every key of a prefix with its type and value, for a byte-for-byte comparison. */
function dumpPrefix(redis: RunningRedis, prefix: string): string {
  const keys = redis.cli('--scan', '--pattern', `*${prefix}*`).trim().split('\n').filter(Boolean).sort();
  return keys.map((key) => `${key} ${redis.cli('DUMP', key)}`).join('\n');
}

describe.skipIf(skipped)(`nano registry copy${skipped ? ` (skipped: ${missing})` : ''}`, () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    if (missing !== undefined) throw new Error(`${missing}; set NANO_SKIP_CLUSTER=1 to skip the cluster suite`);
    redis = await startRedis();
  });
  afterAll(async () => {
    await killStrayProcesses();
    await stopAllRedis();
    await removeTempProjects();
  });

  it('moves a data folder into Redis and back, keeping versions, numbering and artifacts', async () => {
    // A one-node platform with history: f at v2 (v1 kept), g removed after v1.
    const dir = await tempProject({ 'nano.yml': projectYaml({ f: 'f.wat', g: 'g.wat' }), 'f.wat': busyWat(1), 'g.wat': busyWat(2) });
    const server = await startServer();
    await deploy(server.url, await build(dir));
    await deploy(server.url, await build(await tempProject({ 'nano.yml': projectYaml({ f: 'f.wat' }), 'f.wat': busyWat(3) })));
    await server.process.stop();
    const url = redis.url();

    const into = await nano(['registry', 'copy', '--from', `file:${server.dataDir}`, '--to', url]);
    expect(into.err).toBe('');
    expect(into.out).toMatch(/^✓ copied 1 function \(2 versions, 2 artifacts, [\d.]+ [KMG]?i?B new\) of revision 2\n$/);

    const back = join(await tempProject(), 'backup');
    expect((await nano(['registry', 'copy', '--from', url, '--to', `file:${back}`])).code).toBe(0);
    const [original, copied] = await Promise.all([openRegistry(server.dataDir), openRegistry(back)]);
    const { state } = original.snapshot();
    expect(copied.snapshot().state).toEqual(state);
    expect(state.lastVersions).toEqual({ f: 2, g: 1 });
    for (const version of state.functions.f!.versions) {
      expect(await copied.artifacts.get(version.sha256)).toEqual(await original.artifacts.get(version.sha256));
    }
    await Promise.all([original.close(), copied.close()]);

    // A node on the copy serves what the one node served.
    const node = await startServer({ args: ['--registry', url], env: { NANO_REGISTRY: '' } });
    const answer = await fetch(`${node.url}/exec/f`);
    expect(answer.headers.get('x-nano-version')).toBe('2');
    await node.process.stop();
  });

  it('refuses a destination that holds anything, and leaves it exactly as it was', async () => {
    const source = join(await tempProject(), 'data');
    const store = await openRegistry(source);
    await store.commit((draft) => void (draft.lastVersions.f = 1));
    await store.close();

    const folder = join(await tempProject(), 'data');
    expect((await nano(['registry', 'copy', '--from', source, '--to', folder])).code).toBe(0);
    const before = await snapshotDir(folder);
    const refused = await nano(['registry', 'copy', '--from', source, '--to', `file:${folder}`]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('is not empty (it is at revision 1)');
    expect(await snapshotDir(folder)).toEqual(before);

    const url = redis.url();
    expect((await nano(['registry', 'copy', '--from', source, '--to', url])).code).toBe(0);
    const prefix = new URL(url).searchParams.get('prefix')!;
    const stored = dumpPrefix(redis, prefix);
    expect(stored).toContain(':rev');
    const again = await nano(['registry', 'copy', '--from', source, '--to', url]);
    expect(again.err).toContain('is not empty');
    expect(dumpPrefix(redis, prefix)).toEqual(stored);
  });

  it('names a source that is not a registry, and creates nothing', async () => {
    const missingDir = join(await tempProject(), 'nope');
    const to = join(await tempProject(), 'to');
    const result = await nano(['registry', 'copy', '--from', `file:${missingDir}`, '--to', to]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(`there is no registry in ${missingDir} (no state.json)`);
    expect(await snapshotDir(join(to, '..'))).toEqual(new Map());
  });
});
