/**
 * Opens the registry a URL names: `file:DIR`, `file:///abs/dir` or a plain
 * path is the embedded file registry; `redis://` and `rediss://` (TLS) the
 * shared one of several nodes, whose module (and ioredis) is imported only
 * then. Every store behind the same interface (registry-store.ts), so the
 * platform never knows which.
 */
import { fileURLToPath } from 'node:url';
import { NanoError } from '../errors.js';
import { FileRegistry, type FileRegistryOptions } from './file-registry.js';
import type { RegistryStore } from './registry-store.js';

export interface OpenRegistryOptions extends FileRegistryOptions {
  /** Where a shared registry caches artifacts on this node's disk (required for `redis://`). */
  cacheDir?: string;
}

/** A scheme followed by `//`; a plain path with a colon (`data:v2`) stays a path. */
const URL_WITH_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

const schemeOf = (url: string) => (url.startsWith('file:') ? 'file' : URL_WITH_SCHEME.exec(url)?.[1]?.toLowerCase());

/** The folder of a file registry's URL (`file:DIR`, `file:///abs/dir`, a plain path); undefined for any other scheme. */
export function fileRegistryFolder(url: string): string | undefined {
  const scheme = schemeOf(url);
  if (scheme === undefined) return url;
  if (scheme !== 'file') return undefined;
  return url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
}

export async function openRegistry(url: string, options: OpenRegistryOptions = {}): Promise<RegistryStore> {
  const folder = fileRegistryFolder(url);
  if (folder !== undefined) return FileRegistry.open(folder, options);
  const scheme = schemeOf(url);
  if (scheme === 'redis' || scheme === 'rediss') {
    const { RedisRegistry } = await import('./redis/redis-registry.js');
    if (options.cacheDir === undefined)
      throw new NanoError('RegistryUnsupported', 'a Redis registry needs a folder for its artifact cache', { value: url });
    return RedisRegistry.open(url, { ...options, cacheDir: options.cacheDir });
  }
  throw new NanoError('RegistryUnsupported', `"${scheme}:" is not a registry this nano can open`, {
    value: url,
    hint: 'name a data folder (file:DIR, or a plain path), or a shared registry (redis://host:port)',
  });
}
