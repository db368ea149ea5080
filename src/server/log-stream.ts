/**
 * A function's log tail as server-sent events, for `nano logs --tail` (control-plane.ts) and the console:
 * the recent entries first, then each new one as it comes (`event: log`, `data: <LogEntry>`, `id:` its
 * request id). Entries that arrive while one is written wait in a queue; a viewer too slow for them loses
 * the oldest, told by an `event: dropped` with how many. A comment now and then keeps proxies from closing
 * an idle stream. The subscription ends with the stream.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { LogEntry } from './control-api.js';

/** Where the entries come from: the invocation log (invocation-log.ts), the cluster's on a shared registry. */
export interface LogSource {
  subscribe(name: string, listener: (entry: LogEntry) => void): () => void;
}

/** Entries waiting to be written to one slow viewer: past it, the oldest are dropped (the page says so). */
const MAX_QUEUED = 1000;
const KEEP_ALIVE_MS = 15_000;

export function streamLogs(c: Context, logs: LogSource, name: string, recent: readonly LogEntry[]): Response {
  return streamSSE(c, async (stream) => {
    const queue: LogEntry[] = [...recent];
    let dropped = 0;
    let wake: (() => void) | undefined;
    const unsubscribe = logs.subscribe(name, (entry) => {
      if (queue.length >= MAX_QUEUED) {
        queue.shift();
        dropped++;
      }
      queue.push(entry);
      wake?.();
    });
    let open = true;
    stream.onAbort(() => {
      open = false;
      wake?.();
    });
    try {
      while (open) {
        if (dropped > 0) {
          await stream.writeSSE({ event: 'dropped', data: String(dropped) });
          dropped = 0;
        }
        const entry = queue.shift();
        if (entry) {
          await stream.writeSSE({ event: 'log', data: JSON.stringify(entry), id: entry.requestId });
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, KEEP_ALIVE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (open && queue.length === 0) await stream.write(': keep-alive\n\n');
      }
    } finally {
      unsubscribe();
    }
  });
}
