/**
 * The last invocations of every function (`nano logs`), and live subscribers
 * for `nano logs --tail`. On one node: a bounded ring per function, in memory.
 * On a shared registry (`shared`), every node's entries: each node writes its
 * own to the store, reads history from it and hears every node's new entries,
 * its own included, so that the logs through any node are the cluster's.
 */
import type { SharedLog } from '../registry/index.js';
import type { Invocation } from './app-options.js';
import type { LogEntry } from './control-api.js';

export const DEFAULT_LOG_CAPACITY = 500;

type Listener = (entry: LogEntry) => void;

/** An invocation as `nano logs` reads it: the time formatted as ISO 8601, here rather than per request. */
export function logEntryOf(invocation: Invocation): LogEntry {
  const { timeMs, trace: _span, startMs: _start, ...rest } = invocation;
  return { time: new Date(timeMs).toISOString(), ...rest };
}

/** An entry from the shared store; one no nano wrote (not JSON) is left out. */
function parseEntry(json: string): LogEntry | undefined {
  try {
    return JSON.parse(json) as LogEntry;
  } catch {
    return undefined;
  }
}

/**
 * A function's last invocations, a ring once full: the oldest is overwritten in place, where taking it
 * off the front of an array would move every other entry on each call (the hot path).
 */
class Ring {
  readonly items: Invocation[] = [];
  /** Where the next entry goes once the ring is full: the oldest entry. */
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(invocation: Invocation): void {
    if (this.items.length < this.capacity) {
      this.items.push(invocation);
      return;
    }
    this.items[this.next] = invocation;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  ordered(): Invocation[] {
    return this.next === 0 ? [...this.items] : [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
  }
}

export class InvocationLog {
  /** On one node: the invocations as recorded, formatted when listed. */
  private readonly entries = new Map<string, Ring>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly capacity = DEFAULT_LOG_CAPACITY,
    private readonly shared?: SharedLog,
  ) {
    shared?.subscribe((_name, json) => {
      const entry = parseEntry(json);
      if (entry) this.notify(entry);
    });
  }

  append(invocation: Invocation): void {
    if (this.shared) {
      this.shared.append(invocation.name, JSON.stringify(logEntryOf(invocation)));
      return;
    }
    let ring = this.entries.get(invocation.name);
    if (!ring) {
      ring = new Ring(this.capacity);
      this.entries.set(invocation.name, ring);
    }
    ring.push(invocation);
    const listeners = this.listeners.get(invocation.name);
    if (listeners !== undefined && listeners.size > 0) this.notify(logEntryOf(invocation));
  }

  private notify(entry: LogEntry): void {
    for (const listener of this.listeners.get(entry.name) ?? []) {
      try {
        listener(entry);
      } catch {
        // A subscriber's failure (a closed stream) must not affect the invocation.
      }
    }
  }

  /** Entries at or after `sinceMs` (epoch ms), oldest first, at most `limit` of the newest. */
  async list(name: string, options: { sinceMs?: number; limit?: number } = {}): Promise<LogEntry[]> {
    const since = options.sinceMs;
    if (!this.shared) {
      const all = this.entries.get(name)?.ordered() ?? [];
      const recent = since === undefined ? all : all.filter((invocation) => invocation.timeMs >= since);
      return (options.limit === undefined ? recent : recent.slice(-options.limit)).map(logEntryOf);
    }
    const all = await this.sharedEntries(name);
    const recent = since === undefined ? all : all.filter((entry) => Date.parse(entry.time) >= since);
    return options.limit === undefined ? [...recent] : recent.slice(-options.limit);
  }

  subscribe(name: string, listener: Listener): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private async sharedEntries(name: string): Promise<LogEntry[]> {
    return (await this.shared!.recent(name, this.capacity)).flatMap((json) => parseEntry(json) ?? []);
  }

  forget(name: string): void {
    this.entries.delete(name);
    // Every node forgets a removed function; deleting its entries twice is harmless.
    void this.shared?.forget(name).catch(() => undefined);
  }
}
