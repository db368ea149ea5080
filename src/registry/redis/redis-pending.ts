/** Deploy requests between their plan and their commit, in the shared store (any node may commit), with a TTL. */
import type { PendingDeploys } from '../registry-store.js';
import { reaching, type Redis, type RedisTarget } from './connection.js';
import type { RegistryKeys } from './keys.js';

export class RedisPending implements PendingDeploys {
  constructor(
    private readonly client: Redis,
    private readonly keys: RegistryKeys,
    private readonly target: RedisTarget,
  ) {}

  private reach<T>(work: () => Promise<T>): Promise<T> {
    return reaching(this.target, work);
  }

  async put(id: string, json: string, ttlMs: number): Promise<void> {
    await this.reach(() => this.client.set(this.keys.pending(id), json, 'PX', ttlMs));
  }

  async get(id: string): Promise<string | undefined> {
    return (await this.reach(() => this.client.get(this.keys.pending(id)))) ?? undefined;
  }

  async take(id: string): Promise<string | undefined> {
    return (await this.reach(() => this.client.getdel(this.keys.pending(id)))) ?? undefined;
  }
}
