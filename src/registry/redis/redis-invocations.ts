/**
 * Invocation log entries shared by the nodes of a Redis registry, so that
 * `nano logs` and `nano logs --tail` see every node's calls. A node batches
 * its entries for BATCH_MS and writes each batch in one round trip: the
 * entries go to a capped stream per function (the history `nano logs` reads)
 * and, as one message, to a channel every node listens to (the live tail).
 * Best effort by design: a log entry is never worth failing or slowing a call,
 * so entries the store cannot take (it is down) are dropped and counted.
 */
import type { SharedLog } from '../registry-store.js';
import { registryUnavailable, type Redis, type RedisTarget } from './connection.js';
import type { RegistryKeys } from './keys.js';

const BATCH_MS = 100;
/** Entries each function's stream keeps (trimmed approximately, as Redis does it cheaply). */
const CAPACITY = 500;

type Listener = (name: string, json: string) => void;

export class RedisInvocations implements SharedLog {
  private batch: [name: string, json: string][] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<Listener>();
  /** Entries dropped because the store could not take them. */
  dropped = 0;

  constructor(
    private readonly client: Redis,
    private readonly keys: RegistryKeys,
    private readonly target: RedisTarget,
  ) {}

  append(name: string, json: string): void {
    this.batch.push([name, json]);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), BATCH_MS);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    const pipeline = this.client.pipeline();
    for (const [name, json] of batch) pipeline.xadd(this.keys.invocations(name), 'MAXLEN', '~', CAPACITY, '*', 'e', json);
    pipeline.publish(this.keys.liveInvocations, JSON.stringify(batch));
    try {
      await pipeline.exec();
    } catch {
      this.dropped += batch.length;
    }
  }

  async recent(name: string, limit: number): Promise<string[]> {
    let entries: [id: string, fields: string[]][];
    try {
      entries = await this.client.xrevrange(this.keys.invocations(name), '+', '-', 'COUNT', Math.min(limit, CAPACITY));
    } catch (cause) {
      throw registryUnavailable(this.target, cause);
    }
    return entries.map(([, fields]) => fields[1] ?? '').reverse();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A batch published by any node, this one included (the subscriber connection hands it here). */
  onMessage(message: string): void {
    let batch: [string, string][];
    try {
      batch = JSON.parse(message) as [string, string][];
    } catch {
      return;
    }
    for (const [name, json] of batch) {
      for (const listener of this.listeners) listener(name, json);
    }
  }

  async forget(name: string): Promise<void> {
    await this.client.del(this.keys.invocations(name));
  }
}
