/**
 * The one file that knows the Redis client (ioredis): a registry URL parsed,
 * connections opened, the client's errors turned into nano's. ioredis is
 * imported here, lazily, and only when a `redis://` registry is opened, so
 * `nano dev`, a file-registry `nano server` and `nano --version` never load it.
 * Switching to another client (node-redis) is a change to this file.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { NanoError } from '../../errors.js';
import { maskRegistryUrl } from '../registry-url.js';

export type { Redis } from 'ioredis';

export interface RedisTarget {
  /** The URL given to the client: the registry URL without nano's own query parameters. */
  clientUrl: string;
  /** Put before every key and channel, so several platforms can share one Redis (`?prefix=`, default `nano`). */
  prefix: string;
  /** The URL with its password masked, for messages and logs. */
  display: string;
}

const PREFIX = /^[A-Za-z0-9._-]{1,64}$/;

export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NanoError('RegistryUnsupported', `"${url}" is not a URL`, {
      value: url,
      hint: 'write it as redis://[user:password@]host:port[/db][?prefix=nano]',
    });
  }
  const prefix = parsed.searchParams.get('prefix') ?? 'nano';
  if (!PREFIX.test(prefix)) {
    throw new NanoError('RegistryUnsupported', `prefix "${prefix}" is not a valid key prefix`, {
      value: prefix,
      hint: 'use 1 to 64 letters, digits, ".", "_" or "-"',
    });
  }
  for (const key of parsed.searchParams.keys()) {
    if (key !== 'prefix')
      throw new NanoError('RegistryUnsupported', `unknown registry URL parameter "${key}"`, {
        value: key,
        hint: 'the only parameter is ?prefix=',
      });
  }
  parsed.search = '';
  return { clientUrl: parsed.href, prefix, display: maskRegistryUrl(url) };
}

/** Any failure to talk to the store, as the control plane answers it: 503 with Retry-After. */
export function registryUnavailable(target: RedisTarget, cause: unknown): NanoError {
  if (cause instanceof NanoError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new NanoError('RegistryUnavailable', `the registry at ${target.display} cannot be reached (${why})`, {
    value: target.display,
    hint: 'this node keeps serving what it has; try again in a few seconds, or check that Redis is up',
    cause,
  });
}

/** Runs a command, turning a failure to reach the store into RegistryUnavailable. */
export async function reaching<T>(target: RedisTarget, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    throw registryUnavailable(target, cause);
  }
}

/**
 * Opens one connection and waits until it is ready. Commands fail at once while the connection is
 * down (no offline queue): a control-plane request answers 503 rather than hanging, and the data plane
 * never waits on the store. The client reconnects by itself, with a backoff of up to 2 s.
 */
export async function connect(target: RedisTarget, name: string): Promise<Redis> {
  const { Redis: Client } = await import('ioredis');
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  const client = new Client(target.clientUrl, options);
  // Without a listener an 'error' event would crash the process; the failures that matter surface
  // where a command fails (as RegistryUnavailable) or in the node's lag.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    client.disconnect();
    throw registryUnavailable(target, cause);
  }
  return client;
}
