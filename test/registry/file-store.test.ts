/** The registry contract on the embedded file store, and what only a file store does. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRegistry, openRegistry } from '../../src/registry/index.js';
import { snapshotDir } from '../helpers/dir-snapshot.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { registryContract } from './contract.js';

afterEach(removeTempProjects);

registryContract('file', {
  fresh: async () => openRegistry(`file:${join(await tempProject(), 'data')}`),
  reopen: (store) => openRegistry((store as FileRegistry).dataDir),
});

describe('the file store', () => {
  it('writes the revision into state.json, and writes nothing when a change is refused', async () => {
    const dir = await tempProject();
    const store = await openRegistry(dir);
    await store.commit(() => undefined);
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toMatchObject({ format: 1, revision: 1 });
    const before = await snapshotDir(dir);
    await expect(store.commit(() => undefined, { beforeWrite: () => Promise.reject(new Error('refused')) })).rejects.toThrow('refused');
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it('counts a state.json written before revisions as revision 1, or 0 if it holds nothing', async () => {
    const dir = await tempProject();
    const old = { format: 1, functions: {}, lastVersions: { f: 3 }, deployments: [] };
    await writeFile(join(dir, 'state.json'), JSON.stringify(old));
    expect((await openRegistry(dir)).revision).toBe(1);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ ...old, lastVersions: {} }));
    expect((await openRegistry(dir)).revision).toBe(0);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ ...old, revision: -1 }));
    await expect(openRegistry(dir)).rejects.toThrow(/"revision" is not a revision number/);
  });

  it('opens file:DIR, file:///DIR and a plain path alike, and refuses what it cannot open', async () => {
    const dir = await tempProject();
    await (await openRegistry(dir)).commit(() => undefined);
    for (const url of [`file:${dir}`, `file://${dir}`, dir]) expect((await openRegistry(url)).revision).toBe(1);
    await expect(openRegistry('redis://127.0.0.1:6379/0')).rejects.toMatchObject({
      code: 'RegistryUnsupported',
      message: /not supported by this nano yet/,
    });
    await expect(openRegistry('rediss://u:p@host:6380')).rejects.toMatchObject({ code: 'RegistryUnsupported' });
    await expect(openRegistry('s3://bucket')).rejects.toMatchObject({ code: 'RegistryUnsupported', value: 's3://bucket' });
  });

  it('reports a subscriber that throws, and still commits and calls the others', async () => {
    const dir = await tempProject();
    const errors: unknown[] = [];
    const store = await FileRegistry.open(dir, { onListenerError: (error) => errors.push(error) });
    const seen: number[] = [];
    store.subscribe(() => Promise.reject(new Error('listener broke')));
    store.subscribe((change) => {
      seen.push(change.to);
      return Promise.resolve();
    });
    expect((await store.commit(() => 'done')).value).toBe('done');
    expect(seen).toEqual([1]);
    expect(errors).toMatchObject([{ message: 'listener broke' }]);
  });
});
