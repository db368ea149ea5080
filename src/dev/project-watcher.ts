/**
 * The chokidar side of `nano dev`: watches a plan's folders and reports every
 * path that is not pruned. A new plan (nano.yml added a source in a new
 * folder, or changed a `watch:` glob) gets a new chokidar instance, which must
 * be ready before the old one closes, so no edit falls between the two.
 * Every callback is guarded: an error in a listener, or in chokidar itself,
 * is reported and the watching goes on.
 *
 * A second look: chokidar reports at most one 'change' per path in 50 ms and
 * drops the others rather than reporting the last one late, so a save that
 * follows another quickly (a formatter saving after the editor) would go
 * unseen. So each reported file is stat'ed when reported and again a little
 * later, and reported once more if it changed in between. (Reporting it again
 * unconditionally would restart the debounce of every save.)
 */
import { stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'chokidar';
import type { WatchPlan } from './watch-plan.js';

export interface ProjectWatcher {
  readonly plan: WatchPlan;
  /** Switches to another plan; a no-op when it watches the same things. */
  update(plan: WatchPlan): Promise<void>;
  close(): Promise<void>;
}

/** Longer than chokidar's 50 ms throttle of 'change' events. */
const SECOND_LOOK_MS = 75;

export interface WatchCallbacks {
  /** A watched path was added, changed or removed. */
  onChange(path: string): void;
  /** The watcher (or a callback) failed; watching goes on. */
  onError(error: unknown): void;
}

async function open(plan: WatchPlan, callbacks: WatchCallbacks): Promise<FSWatcher> {
  const watcher = watch([...plan.roots], {
    ignoreInitial: true,
    ignored: (path, stats) => plan.isIgnored(path, stats),
    // Polling would add its interval to every save; the OS events are immediate.
    usePolling: false,
  });
  watcher.on('all', (event, path) => {
    // A folder's coming or going means nothing by itself: the files in it have events of their own.
    if (event === 'addDir' || event === 'unlinkDir') return;
    try {
      callbacks.onChange(path);
    } catch (error) {
      callbacks.onError(error);
    }
  });
  watcher.on('error', (error) => {
    try {
      callbacks.onError(error);
    } catch {
      // The reporter itself failed; nothing is left to tell.
    }
  });
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return watcher;
}

/** What tells one state of a file from the next without reading it. */
async function signatureOf(path: string): Promise<string> {
  try {
    const stats = await stat(path);
    return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  } catch (error) {
    return `(${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}

/** Calls `onChange` for every path, and again SECOND_LOOK_MS later if the file changed since. */
function withSecondLook(callbacks: WatchCallbacks): WatchCallbacks & { stop(): void } {
  const pending = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  const report = (path: string) => {
    try {
      callbacks.onChange(path);
    } catch (error) {
      callbacks.onError(error);
    }
  };
  return {
    onChange(path) {
      report(path);
      clearTimeout(pending.get(path));
      const first = signatureOf(path);
      pending.set(
        path,
        setTimeout(() => {
          pending.delete(path);
          void Promise.all([first, signatureOf(path)]).then(([before, now]) => {
            if (!stopped && before !== now) report(path);
          });
        }, SECOND_LOOK_MS),
      );
    },
    onError: (error) => callbacks.onError(error),
    stop() {
      stopped = true;
      pending.forEach(clearTimeout);
      pending.clear();
    },
  };
}

export async function watchProject(plan: WatchPlan, given: WatchCallbacks): Promise<ProjectWatcher> {
  const callbacks = withSecondLook(given);
  let current = await open(plan, callbacks);
  let currentPlan = plan;
  let closed = false;
  return {
    get plan() {
      return currentPlan;
    },
    async update(next) {
      if (closed || next.key === currentPlan.key) {
        currentPlan = next;
        return;
      }
      const replacement = await open(next, callbacks);
      if (closed) {
        await replacement.close();
        return;
      }
      const previous = current;
      current = replacement;
      currentPlan = next;
      await previous.close();
    },
    async close() {
      closed = true;
      callbacks.stop();
      await current.close();
    },
  };
}
