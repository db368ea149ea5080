/**
 * Pending deploys of an embedded registry: in memory, as a deploy's plan,
 * upload and commit all reach this one process. Expired entries are swept on
 * every access, so the map never outgrows the deploys of the last TTL.
 */
import { NanoError } from '../errors.js';
import type { PendingDeploys } from './registry-store.js';

export class PendingMap implements PendingDeploys {
  private readonly entries = new Map<string, { json: string; expiresAt: number }>();

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id);
  }

  has(id: string): boolean {
    this.sweep();
    return this.entries.has(id);
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  put(id: string, json: string, ttlMs: number): Promise<void> {
    this.sweep();
    this.entries.set(id, { json, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  get(id: string): Promise<string | undefined> {
    this.sweep();
    return Promise.resolve(this.entries.get(id)?.json);
  }

  take(id: string): Promise<string | undefined> {
    this.sweep();
    const json = this.entries.get(id)?.json;
    this.entries.delete(id);
    return Promise.resolve(json);
  }
}

/** The one wording of a pending deploy that is gone: committed by another request, or expired. */
export function pendingNotFound(id: string): NanoError {
  return new NanoError('NotFound', `no pending deployment ${id}`, { value: id, hint: 'it was committed already or expired; deploy again' });
}
