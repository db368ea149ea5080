/**
 * Crash-safe file writes: write a temporary file in the same folder, fsync it,
 * rename it over the target, fsync the folder. After a crash at any moment the
 * target holds either its old or its new content, never a mix or nothing.
 */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { withFileSystemErrors } from '../file-system-error.js';

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const TEMP_MARK = '.tmp-';

export interface DurableWriteOptions {
  beforeRename?: () => void;
  /** File mode of a new file (0o600: readable by the owner only, for files that may hold secrets). */
  mode?: number;
}

/** Writes `path` crash-safely; a full or read-only disk, a file where the folder was, is a FileSystemError naming it. */
export function writeFileDurably(path: string, data: Uint8Array | string, options: DurableWriteOptions = {}): Promise<void> {
  return withFileSystemErrors('write', path, () => writeAndRename(path, data, options));
}

async function writeAndRename(path: string, data: Uint8Array | string, hooks: DurableWriteOptions): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2)}`);
  // The mode is set at creation (the umask may only narrow it), so the file is never readable by others, even briefly.
  const handle = await open(temp, 'w', hooks.mode ?? 0o666);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  hooks.beforeRename?.();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dirname(path));
}
