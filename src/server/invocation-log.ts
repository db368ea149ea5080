/**
 * The last invocations of every function (`nano logs`), and live subscribers
 * for `nano logs --tail`. On one node: a bounded ring per function, in memory.
 * On a shared registry (`shared`), every node's entries: each node writes its
 * own to the store, reads history from it and hears every node's new entries,
 * its own included, so that the logs through any node are the cluster's.
 */
import type { SharedLog } from '../registry/index.js';
import type { LogEntry } from './control-api.js';

export const DEFAULT_LOG_CAPACITY = 500;

type Listener = (entry: LogEntry) => void;

/** An entry from the shared store; one no nano wrote (not JSON) is left out. */
function parseEntry(json: string): LogEntry | undefined {
  try {
    return JSON.parse(json) as LogEntry;
  } catch {
    return undefined;
  }
}

export class InvocationLog {
  private readonly entries = new Map<string, LogEntry[]>();
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

  append(entry: LogEntry): void {
    if (this.shared) {
      this.shared.append(entry.name, JSON.stringify(entry));
      return;
    }
    let list = this.entries.get(entry.name);
    if (!list) {
      list = [];
      this.entries.set(entry.name, list);
    }
    list.push(entry);
    if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
    this.notify(entry);
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
    const all = this.shared ? await this.sharedEntries(name) : (this.entries.get(name) ?? []);
    const since = options.sinceMs;
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
