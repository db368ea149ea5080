/**
 * The listeners of a store's revisions. `publish` hands a revision to each
 * listener in turn and resolves when all are done; a store publishes one
 * revision at a time, so listeners see every revision once, in order.
 */
import type { RegistryChange } from './registry-store.js';

type Listener = (change: RegistryChange) => Promise<void>;

export class ChangeFeed {
  private readonly listeners = new Set<Listener>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  subscribe(listener: Listener): () => void {
    // A wrapper, so that subscribing one function twice gives two subscriptions.
    const entry: Listener = (change) => listener(change);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  async publish(change: RegistryChange): Promise<void> {
    for (const listener of [...this.listeners]) {
      try {
        await listener(change);
      } catch (error) {
        // The revision is durable already: a listener's failure is reported, and the others still run.
        this.onListenerError(error);
      }
    }
  }
}
