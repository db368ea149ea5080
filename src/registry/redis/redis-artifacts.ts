/**
 * Artifacts of a Redis registry: the bytes live in the store (one key per
 * sha256, written once with SET NX) and in a content-addressed cache on this
 * node's disk (the `--data` folder's artifacts/, the file store's layout), so a
 * node fetches each module once. Either copy is re-hashed before it is used:
 * a node trusts the store no more than a client.
 */
import type { ArtifactStore } from '../artifact-store.js';
import { NanoError } from '../../errors.js';
import type { Artifacts } from '../registry-store.js';
import type { RegistryKeys } from './keys.js';
import { reaching, type Redis, type RedisTarget } from './connection.js';

export class RedisArtifacts implements Artifacts {
  constructor(
    private readonly client: Redis,
    private readonly keys: RegistryKeys,
    private readonly target: RedisTarget,
    private readonly cache: ArtifactStore,
  ) {}

  private reach<T>(work: () => Promise<T>): Promise<T> {
    return reaching(this.target, work);
  }

  async has(sha256: string): Promise<boolean> {
    if (await this.cache.has(sha256)) return true;
    return (await this.reach(() => this.client.exists(this.keys.artifact(sha256)))) === 1;
  }

  async put(expectedSha256: string, bytes: Uint8Array): Promise<{ created: boolean }> {
    // The cache checks the hash before anything is written anywhere.
    await this.cache.put(expectedSha256, bytes);
    const set = await this.reach(() => this.client.set(this.keys.artifact(expectedSha256), Buffer.from(bytes), 'NX'));
    return { created: set === 'OK' };
  }

  async get(sha256: string): Promise<Uint8Array> {
    try {
      return await this.cache.get(sha256);
    } catch (error) {
      if (!(error instanceof NanoError && error.code === 'NotFound')) throw error;
    }
    const stored = await this.reach(() => this.client.getBuffer(this.keys.artifact(sha256)));
    if (stored === null) throw new NanoError('NotFound', `artifact ${sha256} is not in the registry`, { value: sha256 });
    const bytes = new Uint8Array(stored);
    // put re-hashes: bytes damaged in the store are refused, never cached nor run.
    await this.cache.put(sha256, bytes).catch((error: unknown) => {
      if (error instanceof NanoError && error.code === 'RequestInvalid') {
        throw new NanoError('RequestInvalid', `artifact ${sha256} is damaged in the registry`, { value: sha256, cause: error });
      }
      throw error;
    });
    return bytes;
  }
}
