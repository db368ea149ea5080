import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_VERSIONS, Registry, type VersionRecord } from '../../src/registry/index.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';

afterEach(removeTempProjects);

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function version(n: number): VersionRecord {
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

describe('Registry', () => {
  it('persists a commit, and a reopened registry sees it', async () => {
    const dir = await tempProject();
    const registry = await Registry.open(dir);
    await registry.commit((draft) => {
      draft.functions.sum = { name: 'sum', service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] };
    });
    expect(registry.get('sum')?.current).toBe(1);
    const reopened = await Registry.open(dir);
    expect(reopened.functions().map((fn) => fn.name)).toEqual(['sum']);
  });

  it('leaves the state untouched when a change throws', async () => {
    const dir = await tempProject();
    const registry = await Registry.open(dir);
    await registry.commit((draft) => {
      draft.functions.a = { name: 'a', service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] };
    });
    const before = await readFile(join(dir, 'state.json'), 'utf8');
    await expect(
      registry.commit((draft) => {
        delete draft.functions.a;
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(registry.get('a')).toBeDefined();
    expect(await readFile(join(dir, 'state.json'), 'utf8')).toBe(before);
    // The queue is not poisoned by a failed commit.
    await registry.commit((draft) => {
      delete draft.functions.a;
    });
    expect(registry.get('a')).toBeUndefined();
  });

  it('keeps the last 20 versions and always the current one', async () => {
    const dir = await tempProject();
    const registry = await Registry.open(dir);
    await registry.commit((draft) => {
      draft.functions.f = {
        name: 'f',
        service: 'demo',
        stage: 'dev',
        current: 2,
        updatedAt: 'now',
        versions: Array.from({ length: 30 }, (_, i) => version(i + 1)),
      };
    });
    const kept = registry.get('f')!.versions.map((v) => v.version);
    expect(kept).toContain(2);
    expect(kept.filter((v) => v !== 2)).toHaveLength(MAX_VERSIONS);
    expect(Math.max(...kept)).toBe(30);
  });

  it('sweeps temporary files a crash left behind, and serializes concurrent commits', async () => {
    const dir = await tempProject();
    await Registry.open(dir);
    await writeFile(join(dir, 'state.json.tmp-1-x'), '{half');
    await writeFile(join(dir, 'artifacts', `${'b'.repeat(64)}.wasm.tmp-1-y`), 'half');
    const registry = await Registry.open(dir);
    expect(await readdir(dir)).not.toContain('state.json.tmp-1-x');
    expect(await readdir(join(dir, 'artifacts'))).toEqual([]);

    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        registry.commit((draft) => {
          draft.functions[`f${i}`] = { name: `f${i}`, service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] };
        }),
      ),
    );
    expect((await Registry.open(dir)).functions()).toHaveLength(10);
  });
});

describe('ArtifactStore', () => {
  it('stores bytes under their hash once, refuses a mismatch, and detects damage on disk', async () => {
    const dir = await tempProject();
    const { artifacts } = await Registry.open(dir);
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    const digest = sha(bytes);
    expect(await artifacts.has(digest)).toBe(false);
    expect(await artifacts.put(digest, bytes)).toEqual({ created: true });
    expect(await artifacts.put(digest, bytes)).toEqual({ created: false });
    expect(await artifacts.get(digest)).toEqual(bytes);

    await expect(artifacts.put('c'.repeat(64), bytes)).rejects.toMatchObject({ code: 'RequestInvalid' });
    expect(await artifacts.has('c'.repeat(64))).toBe(false);
    // A name that is not a digest never reaches the file system.
    expect(await artifacts.has('../state')).toBe(false);
    await expect(artifacts.get('../state')).rejects.toMatchObject({ code: 'NotFound' });

    await writeFile(join(dir, 'artifacts', `${digest}.wasm`), 'tampered');
    await expect(artifacts.get(digest)).rejects.toThrow(/damaged/);
  });
});
