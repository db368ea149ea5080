/**
 * Every file under a folder, by relative path, with its bytes: a refusal test
 * takes one before and one after and expects them equal, byte for byte.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export async function snapshotDir(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else files.set(relative(root, path), (await readFile(path)).toString('base64'));
    }
  };
  await walk(root);
  return files;
}
