/**
 * Locks that make two builds of one project at once (`nano deploy` while
 * `nano dev` reloads, say) take turns instead of tripping over each other:
 * `build.lock` around swapping `.nano/build/` into place, `commands.lock`
 * around running `build:` commands and reading what they wrote. A folder is
 * the lock: `mkdir` is atomic. A lock whose owner process is gone is stale and
 * taken over.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NanoError } from '../errors.js';
import { fileSystemError, withFileSystemErrors } from '../file-system-error.js';

export interface LockOptions {
  /** The lock folder's name inside `.nano/`. */
  name?: string;
  /** How long to wait for another holder before giving up. */
  waitLimitMs?: number;
  /** Gives up waiting when aborted (nano dev closing). */
  signal?: AbortSignal;
}
const RETRY_MS = 15;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerOf(lock: string): Promise<number | undefined> {
  try {
    const pid = Number(await readFile(join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function withBuildLock<T>(
  nanoDir: string,
  work: () => Promise<T>,
  { name = 'build.lock', waitLimitMs = 30_000, signal }: LockOptions = {},
): Promise<T> {
  const lock = join(nanoDir, name);
  // `.nano` may be a file, or sit on a read-only disk: the user's to fix, named (EEXIST, EROFS, ...).
  await withFileSystemErrors('create the folder', nanoDir, () => mkdir(nanoDir, { recursive: true }));
  const deadline = Date.now() + waitLimitMs;
  let ownerMissingSince: number | undefined;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fileSystemError(error, 'create the lock folder', lock);
    }
    const owner = await ownerOf(lock);
    // A lock without a pid file is one being created right now, or left by a crash between
    // mkdir and writing the pid: give it a moment before calling it stale.
    if (owner === undefined) ownerMissingSince ??= Date.now();
    const stale = owner !== undefined ? !alive(owner) : Date.now() - (ownerMissingSince ?? Date.now()) > 1000;
    if (stale) {
      await rm(lock, { recursive: true, force: true });
      ownerMissingSince = undefined;
      continue;
    }
    if (signal?.aborted) {
      throw new NanoError('BuildFailed', `the build was stopped while waiting for ${lock}`, { value: lock });
    }
    if (Date.now() > deadline) {
      throw new NanoError(
        'BuildFailed',
        `another build of this project (pid ${owner ?? 'unknown'}) has held ${lock} for ${waitLimitMs / 1000} s`,
        {
          value: lock,
          hint: 'wait for it to finish, or remove the folder if no nano process is running',
        },
      );
    }
    await sleep(RETRY_MS);
  }
  try {
    await withFileSystemErrors('write', join(lock, 'pid'), () => writeFile(join(lock, 'pid'), String(process.pid)));
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}
