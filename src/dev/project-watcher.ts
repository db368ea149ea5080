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
 * unseen. Every path reported is therefore reported once more a little later;
 * the consumer compares contents (content-filter.ts), so the second report
 * costs nothing when nothing changed in between.
 */
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

/** Calls `onChange` for every path, and again SECOND_LOOK_MS after its latest report. */
function withSecondLook(callbacks: WatchCallbacks): WatchCallbacks & { stop(): void } {
  const pending = new Map<string, NodeJS.Timeout>();
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
      pending.set(
        path,
        setTimeout(() => {
          pending.delete(path);
          report(path);
        }, SECOND_LOOK_MS),
      );
    },
    onError: (error) => callbacks.onError(error),
    stop() {
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
