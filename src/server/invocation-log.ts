/**
 * The last invocations of every function, in memory (`nano logs`): a bounded
 * ring per function, plus live subscribers for `nano logs --tail`.
 */
import type { LogEntry } from './control-api.js';

export const DEFAULT_LOG_CAPACITY = 500;

type Listener = (entry: LogEntry) => void;

export class InvocationLog {
  private readonly entries = new Map<string, LogEntry[]>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly capacity = DEFAULT_LOG_CAPACITY) {}

  append(entry: LogEntry): void {
    let list = this.entries.get(entry.name);
    if (!list) {
      list = [];
      this.entries.set(entry.name, list);
    }
    list.push(entry);
    if (list.length > this.capacity) list.splice(0, list.length - this.capacity);
    for (const listener of this.listeners.get(entry.name) ?? []) {
      try {
        listener(entry);
      } catch {
        // A subscriber's failure (a closed stream) must not affect the invocation.
      }
    }
  }

  /** Entries at or after `sinceMs` (epoch ms), oldest first, at most `limit` of the newest. */
  list(name: string, options: { sinceMs?: number; limit?: number } = {}): LogEntry[] {
    const all = this.entries.get(name) ?? [];
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

  forget(name: string): void {
    this.entries.delete(name);
  }
}
