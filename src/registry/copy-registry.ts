/**
 * `nano registry copy`: every function, version, version number and recent
 * deployment of one registry, with every artifact they refer to, into another
 * that is empty. Migrates a one-node platform to a shared registry (file: →
 * redis://) and takes a backup of one (redis:// → file:).
 *
 * The artifacts go first, each re-hashed by the destination as it is stored,
 * and the state last, as one commit: a copy that fails half-way leaves the
 * destination with artifacts nothing refers to yet and an empty state, which a
 * second run completes. A destination that holds anything is refused, so a
 * copy never mixes two platforms.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NanoError } from '../errors.js';
import { fileRegistryFolder, openRegistry } from './open-registry.js';
import type { RegistryStore } from './registry-store.js';
import { STATE_FILE } from './state-file.js';

export interface CopyReport {
  revision: number;
  functions: number;
  versions: number;
  artifacts: number;
  /** Bytes of the artifacts the destination did not have. */
  bytesCopied: number;
}

async function openSide(url: string, cacheDir: string, role: 'source' | 'destination'): Promise<RegistryStore> {
  const folder = fileRegistryFolder(url);
  // Opening a file registry creates its folder: a mistyped source would be an empty registry, copied.
  if (role === 'source' && folder !== undefined && !existsSync(join(folder, STATE_FILE))) {
    throw new NanoError('NotFound', `there is no registry in ${folder} (no ${STATE_FILE})`, {
      value: url,
      hint: 'name the --data folder of a `nano server` (file:./.nano-data), or a redis:// registry',
    });
  }
  return openRegistry(url, { cacheDir, nodeId: `registry-copy-${role}-${process.pid}` });
}

export async function copyRegistry(from: string, to: string, onArtifact?: (done: number, total: number) => void): Promise<CopyReport> {
  const cache = await mkdtemp(join(tmpdir(), 'nano-copy-'));
  const opened: RegistryStore[] = [];
  try {
    const source = await openSide(from, join(cache, 'source'), 'source');
    opened.push(source);
    const destination = await openSide(to, join(cache, 'destination'), 'destination');
    opened.push(destination);
    if (destination.revision > 0) {
      throw new NanoError('DeployConflict', `the destination ${to} is not empty (it is at revision ${destination.revision})`, {
        value: to,
        hint: 'copy into a new folder, or a Redis registry with another ?prefix=',
      });
    }
    const { state, revision } = source.snapshot();
    const hashes = [...new Set(Object.values(state.functions).flatMap((fn) => fn.versions.map((v) => v.sha256)))].sort();
    let bytesCopied = 0;
    for (const [index, sha256] of hashes.entries()) {
      onArtifact?.(index, hashes.length);
      if (await destination.artifacts.has(sha256)) continue;
      const bytes = await source.artifacts.get(sha256);
      await destination.artifacts.put(sha256, bytes);
      bytesCopied += bytes.length;
    }
    await destination.commit((draft) => {
      if (Object.keys(draft.functions).length > 0) {
        throw new NanoError('DeployConflict', `the destination ${to} changed during the copy`, {
          value: to,
          hint: 'nothing was copied into it; check who else uses it',
        });
      }
      Object.assign(draft, structuredClone(state));
    });
    const functions = Object.values(state.functions);
    return {
      revision,
      functions: functions.length,
      versions: functions.reduce((sum, fn) => sum + fn.versions.length, 0),
      artifacts: hashes.length,
      bytesCopied,
    };
  } finally {
    for (const store of opened) await store.close();
    await rm(cache, { recursive: true, force: true });
  }
}
