/**
 * Temporary projects on disk: one fresh folder per test under os.tmpdir(),
 * removed by `removeTempProjects()` (call it from afterEach).
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, for the files it ships (examples/, templates/). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const created: string[] = [];

/** nano.yml text from its lines, so that the line numbers in assertions can be counted. */
export const yml = (...lines: string[]) => `${lines.join('\n')}\n`;

export type Files = Record<string, string | Uint8Array>;

/** A fresh folder holding `files` (paths relative to it, folders created as needed). */
export async function tempProject(files: Files = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nano-test-'));
  created.push(dir);
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Files): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export async function removeTempProjects(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Every file under `dir` with its bytes, keyed by relative path: equal snapshots mean an untouched tree. */
export async function snapshotTree(dir: string): Promise<Map<string, Buffer>> {
  const snapshot = new Map<string, Buffer>();
  const walk = async (prefix: string): Promise<void> => {
    for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else snapshot.set(path, await readFile(join(dir, path)));
    }
  };
  await walk('');
  return snapshot;
}

/** A fresh copy of examples/ (without any build output), to build, serve and edit freely. */
export async function examplesCopy(): Promise<string> {
  const dir = await tempProject();
  await cp(join(REPO_ROOT, 'examples'), dir, { recursive: true, filter: (source) => !source.includes('.nano') });
  return dir;
}
