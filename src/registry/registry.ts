/**
 * The platform's embedded registry, in a data folder that needs no other
 * service:
 *   artifacts/<sha256>.wasm   content-addressed module bytes, written once
 *   state.json                every function, its versions and which is current, and the
 *                             last version number of every name ever deployed
 *
 * Strategy: the whole metadata is one small JSON document. A change is computed
 * on a copy and made durable by one atomic file replacement (see
 * durable-file.ts) before it becomes visible in memory; a commit therefore
 * switches every function it touches at once, and a crash at any moment leaves
 * the previous or the next state, never a mix. Artifacts are written before the
 * state that refers to them, so a state on disk never points at a missing file.
 * Commits are serialized: two deploys racing apply one after the other.
 *
 * Version numbers are never reused for a name: every commit records, in the
 * same atomic write, the highest number each name has had (`lastVersions`), so
 * removing a function and deploying it again continues its numbering.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NanoError } from '../errors.js';
import { fileSystemError, withFileSystemErrors } from '../file-system-error.js';
import { ArtifactStore } from './artifact-store.js';
import { TEMP_MARK, writeFileDurably } from './durable-file.js';
import { failpoint } from './failpoints.js';
import type { FunctionRecord, RegistryState } from './types.js';

export const MAX_VERSIONS = 20;
const MAX_DEPLOYMENTS = 50;
const STATE_FILE = 'state.json';

function emptyState(): RegistryState {
  return { format: 1, functions: {}, lastVersions: {}, deployments: [] };
}

function lastVersionOf(state: RegistryState, name: string): number {
  return Object.hasOwn(state.lastVersions, name) ? (state.lastVersions[name] ?? 0) : 0;
}

/** The number the next version of `name` gets: one above any it has ever had, even if it was removed since. */
export function nextVersion(state: RegistryState, name: string): number {
  const fn = Object.hasOwn(state.functions, name) ? state.functions[name] : undefined;
  return Math.max(lastVersionOf(state, name), ...(fn?.versions.map((v) => v.version) ?? [])) + 1;
}

/** Raises `state.lastVersions` to cover every version the state holds, and every number `before` had given. */
function recordLastVersions(state: RegistryState, before?: RegistryState): void {
  for (const [name, last] of Object.entries(before?.lastVersions ?? {})) {
    state.lastVersions[name] = Math.max(lastVersionOf(state, name), last);
  }
  for (const fn of Object.values(state.functions)) {
    state.lastVersions[fn.name] = Math.max(lastVersionOf(state, fn.name), ...fn.versions.map((v) => v.version));
  }
}

function isVersionMap(value: unknown): value is Record<string, number> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
  );
}

export class Registry {
  readonly artifacts: ArtifactStore;
  private state: RegistryState;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataDir: string,
    state: RegistryState,
  ) {
    this.artifacts = new ArtifactStore(join(dataDir, 'artifacts'));
    this.state = state;
  }

  /** Opens (or creates) a data folder, sweeping temporary files a crash left behind. */
  static async open(dataDir: string): Promise<Registry> {
    // --data may name a file, a folder below one, a read-only disk: the operator's to fix, named.
    await withFileSystemErrors('open the data folder', dataDir, async () => {
      await mkdir(join(dataDir, 'artifacts'), { recursive: true });
      for (const folder of [dataDir, join(dataDir, 'artifacts')]) {
        for (const name of await readdir(folder)) {
          if (name.includes(TEMP_MARK)) await rm(join(folder, name), { recursive: true, force: true });
        }
      }
    });
    const stateFile = join(dataDir, STATE_FILE);
    let text: string | undefined;
    try {
      text = await readFile(stateFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(error, 'read', stateFile);
    }
    let state = emptyState();
    try {
      if (text !== undefined) state = JSON.parse(text) as RegistryState;
    } catch (error) {
      throw new NanoError('RequestInvalid', `the registry in ${dataDir} is unreadable: ${(error as Error).message}`, {
        value: dataDir,
        hint: 'restore state.json from a backup, or start with an empty --data folder',
      });
    }
    // `null` or `5` parse too; reading .format off them would crash.
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new NanoError('RequestInvalid', `the registry in ${dataDir} is unreadable: state.json does not hold an object`, {
        value: dataDir,
        hint: 'restore state.json from a backup, or start with an empty --data folder',
      });
    }
    if (state.format !== 1) {
      throw new NanoError('RequestInvalid', `the registry in ${dataDir} has format ${String(state.format)}; this nano reads format 1`, {
        value: state.format,
      });
    }
    // A state.json written before `lastVersions` existed has none: derive it from the versions it
    // holds (numbers of functions removed back then are lost). Nothing is written here; the next
    // commit writes it, durably, like any other change.
    const stored = (state as Partial<RegistryState>).lastVersions;
    if (stored !== undefined && !isVersionMap(stored)) {
      throw new NanoError('RequestInvalid', `the registry in ${dataDir} is unreadable: "lastVersions" is not a map of version numbers`, {
        value: dataDir,
        hint: 'restore state.json from a backup, or start with an empty --data folder',
      });
    }
    state.lastVersions = { ...stored };
    recordLastVersions(state);
    return new Registry(dataDir, state);
  }

  functions(): FunctionRecord[] {
    return Object.values(this.state.functions).sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): FunctionRecord | undefined {
    return Object.hasOwn(this.state.functions, name) ? this.state.functions[name] : undefined;
  }

  /**
   * Applies `change` to a copy of the state and makes it durable, then visible.
   * `beforeWrite` sees the change's result and may still refuse it (the platform
   * compiles the modules it switches to there). If either throws, nothing is
   * written. Calls run one at a time.
   */
  commit<T>(change: (draft: RegistryState) => T, beforeWrite?: (result: T, draft: RegistryState) => Promise<void>): Promise<T> {
    const run = this.queue.then(async () => {
      const draft = structuredClone(this.state);
      const result = change(draft);
      await beforeWrite?.(result, draft);
      // Before the old versions are dropped: the highest number of each name, removed ones included.
      recordLastVersions(draft, this.state);
      for (const fn of Object.values(draft.functions)) {
        // Keep the newest versions, and the current one whatever its age.
        if (fn.versions.length > MAX_VERSIONS) {
          fn.versions = fn.versions.filter((v, i) => i >= fn.versions.length - MAX_VERSIONS || v.version === fn.current);
        }
      }
      draft.deployments = draft.deployments.slice(-MAX_DEPLOYMENTS);
      await writeFileDurably(join(this.dataDir, STATE_FILE), `${JSON.stringify(draft, null, 1)}\n`, {
        beforeRename: () => failpoint('state-temp-written'),
      });
      failpoint('after-state-write');
      this.state = draft;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
