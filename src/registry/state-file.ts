/**
 * `state.json` of a data folder: every function, its versions and which is
 * current, the last version number of every name ever deployed, the recent
 * deployments, and the revision (+1 per commit). Read once when the registry
 * opens, replaced atomically by every commit (see durable-file.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NanoError } from '../errors.js';
import { fileSystemError } from '../file-system-error.js';
import { writeFileDurably } from './durable-file.js';
import { failpoint } from './failpoints.js';
import { emptyState, isEmptyState, recordLastVersions } from './registry-state.js';
import type { RegistryState } from './types.js';

export const STATE_FILE = 'state.json';

const RESTORE_HINT = 'restore state.json from a backup, or start with an empty --data folder';

function unreadable(dataDir: string, why: string): NanoError {
  return new NanoError('RequestInvalid', `the registry in ${dataDir} is unreadable: ${why}`, { value: dataDir, hint: RESTORE_HINT });
}

function isVersionMap(value: unknown): value is Record<string, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  );
}

/** The state and revision a data folder holds; an empty state at revision 0 if it holds none. */
export async function readStateFile(dataDir: string): Promise<{ state: RegistryState; revision: number }> {
  const stateFile = join(dataDir, STATE_FILE);
  let text: string | undefined;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(error, 'read', stateFile);
  }
  if (text === undefined) return { state: emptyState(), revision: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw unreadable(dataDir, (error as Error).message);
  }
  // `null` or `5` parse too; reading .format off them would crash.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw unreadable(dataDir, 'state.json does not hold an object');
  const { revision, ...state } = parsed as RegistryState & { revision?: unknown };
  if (state.format !== 1) {
    throw new NanoError('RequestInvalid', `the registry in ${dataDir} has format ${String(state.format)}; this nano reads format 1`, {
      value: state.format,
    });
  }
  if (revision !== undefined && !(typeof revision === 'number' && Number.isSafeInteger(revision) && revision >= 0)) {
    throw unreadable(dataDir, '"revision" is not a revision number');
  }
  // A state.json written before `lastVersions` existed has none: derive it from the versions it
  // holds (numbers of functions removed back then are lost). Nothing is written here; the next
  // commit writes it, durably, like any other change.
  const stored = (state as Partial<RegistryState>).lastVersions;
  if (stored !== undefined && !isVersionMap(stored)) throw unreadable(dataDir, '"lastVersions" is not a map of version numbers');
  state.lastVersions = { ...stored };
  recordLastVersions(state);
  // A state.json written before revisions existed holds its whole history as one revision: 1 if it
  // holds anything, so that 0 keeps meaning "empty". The next commit writes 2.
  return { state, revision: revision ?? (isEmptyState(state) ? 0 : 1) };
}

/** Replaces state.json with `state` at `revision`, crash-safely. */
export async function writeStateFile(dataDir: string, state: RegistryState, revision: number): Promise<void> {
  const { format, ...rest } = state;
  // Owner only: a wagi function's env values (secrets, often) are in it.
  await writeFileDurably(join(dataDir, STATE_FILE), `${JSON.stringify({ format, revision, ...rest }, null, 1)}\n`, {
    beforeRename: () => failpoint('state-temp-written'),
    mode: 0o600,
  });
  failpoint('after-state-write');
}
