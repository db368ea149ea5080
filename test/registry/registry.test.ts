import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRegistry, MAX_VERSIONS, nextVersion, type FunctionRecord } from '../../src/registry/index.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { version } from './version-fixture.js';

afterEach(removeTempProjects);

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('FileRegistry', () => {
  it('persists a commit, and a reopened registry sees it', async () => {
    const dir = await tempProject();
    const registry = await FileRegistry.open(dir);
    await registry.commit((draft) => {
      draft.functions.sum = { name: 'sum', service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] };
    });
    expect(registry.get('sum')?.current).toBe(1);
    const reopened = await FileRegistry.open(dir);
    expect(reopened.functions().map((fn) => fn.name)).toEqual(['sum']);
  });

  it('leaves the state untouched when a change throws', async () => {
    const dir = await tempProject();
    const registry = await FileRegistry.open(dir);
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
    const registry = await FileRegistry.open(dir);
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
    await FileRegistry.open(dir);
    await writeFile(join(dir, 'state.json.tmp-1-x'), '{half');
    await writeFile(join(dir, 'artifacts', `${'b'.repeat(64)}.wasm.tmp-1-y`), 'half');
    const registry = await FileRegistry.open(dir);
    expect(await readdir(dir)).not.toContain('state.json.tmp-1-x');
    expect(await readdir(join(dir, 'artifacts'))).toEqual([]);

    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        registry.commit((draft) => {
          draft.functions[`f${i}`] = { name: `f${i}`, service: 'demo', stage: 'dev', current: 1, updatedAt: 'now', versions: [version(1)] };
        }),
      ),
    );
    expect((await FileRegistry.open(dir)).functions()).toHaveLength(10);
  });
});

function fnWith(name: string, versions: number[], current = versions[versions.length - 1]!): FunctionRecord {
  return { name, service: 'demo', stage: 'dev', current, updatedAt: 'now', versions: versions.map(version) };
}

describe('version numbers are never reused for a name', () => {
  it('remembers the last number of a removed function, across commits and a reopen', async () => {
    const dir = await tempProject();
    const registry = await FileRegistry.open(dir);
    await registry.commit((draft) => {
      draft.functions.f = fnWith('f', [1, 2, 3, 4]);
      draft.functions.g = fnWith('g', [1]);
    });
    await registry.commit((draft) => {
      delete draft.functions.f;
    });
    expect(registry.functions().map((fn) => fn.name)).toEqual(['g']);
    expect(registry.get('f')).toBeUndefined();
    expect((await registry.commit((draft) => nextVersion(draft, 'f'))).value).toBe(5);

    const reopened = await FileRegistry.open(dir);
    expect(reopened.functions().map((fn) => fn.name)).toEqual(['g']);
    expect((await reopened.commit((draft) => [nextVersion(draft, 'f'), nextVersion(draft, 'g'), nextVersion(draft, 'new')])).value).toEqual(
      [5, 2, 1],
    );
    // A change cannot lower a number the registry has given.
    await reopened.commit((draft) => {
      draft.lastVersions = {};
    });
    expect((await reopened.commit((draft) => nextVersion(draft, 'f'))).value).toBe(5);
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toMatchObject({ lastVersions: { f: 4, g: 1 } });
  });

  it('keeps the last number when the versions that carried it are dropped', async () => {
    const dir = await tempProject();
    const registry = await FileRegistry.open(dir);
    // Rolled back to v2, with more than MAX_VERSIONS above it: only the newest are kept, and the number goes on.
    const count = MAX_VERSIONS + 10;
    await registry.commit((draft) => {
      draft.functions.f = fnWith(
        'f',
        Array.from({ length: count }, (_, i) => i + 1),
        2,
      );
    });
    await registry.commit((draft) => {
      delete draft.functions.f;
    });
    expect((await (await FileRegistry.open(dir)).commit((draft) => nextVersion(draft, 'f'))).value).toBe(count + 1);
  });

  it('loads a state.json written before lastVersions existed, and writes the field with the next commit', async () => {
    const dir = await tempProject();
    const old = {
      format: 1,
      functions: { f: fnWith('f', [2, 3], 2), g: fnWith('g', [1]) },
      deployments: [{ id: 'd3', at: new Date(0).toISOString(), service: 'demo', changes: [{ name: 'f', version: 3, change: 'updated' }] }],
    };
    await writeFile(join(dir, 'state.json'), JSON.stringify(old));
    const registry = await FileRegistry.open(dir);
    expect(registry.functions().map((fn) => [fn.name, fn.current, fn.versions.map((v) => v.version)])).toEqual([
      ['f', 2, [2, 3]],
      ['g', 1, [1]],
    ]);
    // Opening writes nothing.
    expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toEqual(old);

    // Removing f right after the upgrade still remembers its numbers.
    await registry.commit((draft) => {
      delete draft.functions.f;
    });
    const onDisk = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { lastVersions: unknown; deployments: unknown };
    expect(onDisk.lastVersions).toEqual({ f: 3, g: 1 });
    expect(onDisk.deployments).toEqual(old.deployments);
    const reopened = await FileRegistry.open(dir);
    expect(reopened.functions().map((fn) => fn.name)).toEqual(['g']);
    expect((await reopened.commit((draft) => nextVersion(draft, 'f'))).value).toBe(4);
  });

  it('refuses to open a state.json whose lastVersions is not a map of version numbers', async () => {
    const dir = await tempProject();
    await writeFile(join(dir, 'state.json'), JSON.stringify({ format: 1, functions: {}, lastVersions: { f: 'v3' }, deployments: [] }));
    await expect(FileRegistry.open(dir)).rejects.toThrow(/"lastVersions" is not a map of version numbers/);
  });
});

describe('ArtifactStore', () => {
  it('stores bytes under their hash once, refuses a mismatch, and detects damage on disk', async () => {
    const dir = await tempProject();
    const { artifacts } = await FileRegistry.open(dir);
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
