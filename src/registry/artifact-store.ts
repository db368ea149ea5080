/**
 * Content-addressed artifacts: `artifacts/<sha256>.wasm`, written once. The name
 * is the hash of the content, re-computed on every write, so a file that exists
 * is a file that is complete (it was renamed into place after an fsync).
 */
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NanoError } from '../errors.js';
import { fileSystemError } from '../file-system-error.js';
import { writeFileDurably } from './durable-file.js';
import { failpoint } from './failpoints.js';
import type { Artifacts } from './registry-store.js';

const SHA256 = /^[0-9a-f]{64}$/;

export function isSha256(value: string): boolean {
  return SHA256.test(value);
}

export class ArtifactStore implements Artifacts {
  constructor(private readonly dir: string) {}

  private pathOf(sha256: string): string {
    if (!isSha256(sha256)) throw new NanoError('RequestInvalid', `"${sha256}" is not a sha256 hex digest`, { value: sha256 });
    return join(this.dir, `${sha256}.wasm`);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await access(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Stores bytes under their hash; refuses them when the hash is not the one announced. */
  async put(expectedSha256: string, bytes: Uint8Array): Promise<{ created: boolean }> {
    const path = this.pathOf(expectedSha256);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== expectedSha256) {
      throw new NanoError('RequestInvalid', `the uploaded bytes hash to ${actual}, not ${expectedSha256}`, {
        value: expectedSha256,
        hint: 'the artifact was altered in transit or the manifest is stale; run `nano deploy` again',
      });
    }
    if (await this.has(expectedSha256)) return { created: false };
    await writeFileDurably(path, bytes);
    failpoint('after-artifact-write');
    return { created: true };
  }

  /** The bytes, verified against their name (a damaged file is never run). */
  async get(sha256: string): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.pathOf(sha256)));
    } catch (cause) {
      // Only a missing file is "not there"; a permission or disk error is the operator's to fix, named.
      const failed = fileSystemError(cause, 'read the artifact', join(this.dir, `${sha256}.wasm`));
      if (failed instanceof NanoError && failed.code === 'FileSystemError' && (cause as NodeJS.ErrnoException).code !== 'ENOENT')
        throw failed;
      throw new NanoError('NotFound', `artifact ${sha256} is not in the registry`, { value: sha256, cause });
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256)
      throw new NanoError('RequestInvalid', `artifact ${sha256} is damaged on disk (it hashes to ${actual})`, { value: sha256 });
    return bytes;
  }
}
