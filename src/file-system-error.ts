/**
 * A file-system error a user can cause (a file where a folder should be, a
 * read-only disk, a full one) as a `FileSystemError` naming the path and what
 * to do, instead of Node's bare `ENOTDIR: not a directory, mkdir '...'` reaching
 * the top level as a crash. One wording per errno, used by every place that
 * touches the user's folders (init, the build, the registry's data folder).
 *
 * Errors that are not errno errors, or whose errno no user action explains,
 * pass through unchanged: those remain bugs and keep their stack.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { NanoError } from './errors.js';

interface Explanation {
  reason: string;
  hint: string;
}

/** `failed` is the path Node names (maybe a temporary file, or one below `path`); `path` the one the user gave. */
type Explain = (failed: string, path: string) => Explanation;

const EXPLAIN: Record<string, Explain> = {
  ENOTDIR: (path) => {
    const file = fileInThePath(path);
    return {
      reason: file === undefined ? 'a part of the path is a file, not a folder' : `${file} is a file, not a folder`,
      hint: 'move or rename that file, or choose another path',
    };
  },
  EEXIST: (path) => ({ reason: `${path} already exists and is not a folder`, hint: 'remove or rename it, or choose another path' }),
  EISDIR: (path) => ({ reason: `${path} is a folder, not a file`, hint: 'remove or rename the folder, or choose another path' }),
  ENOENT: () => ({ reason: 'it does not exist', hint: 'check the path' }),
  EACCES: (_failed, path) => ({
    reason: 'permission denied',
    hint: `check the permissions of ${path} and of the folders above it (ls -ld), or choose a path you may write to`,
  }),
  EPERM: (_failed, path) => ({
    reason: 'the operation is not permitted there',
    hint: `check the permissions of ${path} and of the folders above it (ls -ld), or choose another path`,
  }),
  EROFS: () => ({ reason: 'the file system is read-only', hint: 'choose a path on a writable file system' }),
  ENOSPC: () => ({ reason: 'the disk is full', hint: 'free some space and run it again' }),
  EDQUOT: () => ({ reason: 'the disk quota is exceeded', hint: 'free some space and run it again' }),
  ENAMETOOLONG: () => ({ reason: 'the path is too long', hint: 'choose a shorter path' }),
  ELOOP: () => ({ reason: 'it goes round a loop of symbolic links', hint: 'fix the symbolic links in the path' }),
  EMFILE: () => ({ reason: 'too many files are open', hint: 'raise the limit of open files (ulimit -n) and run it again' }),
  ENFILE: () => ({ reason: 'too many files are open on this system', hint: 'close some programs and run it again' }),
  EIO: () => ({ reason: 'the disk reported an input/output error', hint: 'check the disk' }),
};

/** The errno code (`ENOTDIR`) of a Node file-system error, if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * `error` as a `FileSystemError` when it is an errno error a user can cause; `error` itself otherwise.
 * `doing` completes "cannot …": `create the data folder`, `write`.
 */
export function fileSystemError(error: unknown, doing: string, path: string): unknown {
  if (error instanceof NanoError) return error;
  const code = errnoOf(error);
  const explain = code === undefined ? undefined : EXPLAIN[code];
  if (code === undefined || explain === undefined) return error;
  // Node names the exact path that failed (`.../afile/artifacts`), which may lie below the one we asked about.
  const failed = (error as NodeJS.ErrnoException).path ?? path;
  const { reason, hint } = explain(failed, path);
  return new NanoError('FileSystemError', `cannot ${doing} ${path}: ${reason} (${code})`, { value: path, hint, cause: error });
}

/** Runs `work`, turning the file-system errors it throws into `FileSystemError`s about `path`. */
export async function withFileSystemErrors<T>(doing: string, path: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fileSystemError(error, doing, path);
  }
}

/** The nearest existing ancestor of `path` that is not a folder: the file an ENOTDIR is about. */
function fileInThePath(path: string): string | undefined {
  for (let at = path; ; at = dirname(at)) {
    try {
      if (!statSync(at).isDirectory()) return at;
    } catch {
      // Missing (or itself below the file): look higher up.
    }
    if (dirname(at) === at) return undefined;
  }
}
