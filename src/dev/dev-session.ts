/**
 * `nano dev` as a library: serve a project and keep it current while its files change.
 *
 * Strategy: read nano.yml (unreadable or invalid at start is an error: there
 * is nothing to serve or watch yet); put the server on its socket; start
 * watching *before* the first build, so that an edit made while it runs is
 * held by the scheduler and handled right after it; build and load; then
 * reload on every relevant change, one reload at a time (reload-scheduler.ts),
 * each one built from the files' content (reloader.ts). The socket never
 * closes between versions: only the functions underneath it are swapped. It
 * opens before the first build: a request for a declared function that comes
 * meanwhile waits for that build (declared-project.ts), so none gets a 404.
 */
import type { BuildOptions } from '../build/index.js';
import { resolveConfig, type ResolvedConfig } from '../config/index.js';
import { ProblemsError } from '../errors.js';
import type { ExecutorOptions } from '../runtime/index.js';
import { ContentFilter } from './content-filter.js';
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server.js';
import type { ServedFunction } from './load-build.js';
import { watchProject, type ProjectWatcher } from './project-watcher.js';
import { DEFAULT_DEBOUNCE_MS, ReloadScheduler, type ChangeBatch } from './reload-scheduler.js';
import { Reloader, type ReloadReport } from './reloader.js';
import { watchPlan, type WatchPlan } from './watch-plan.js';
import type { Invocation } from '../server/index.js';

export interface DevSessionOptions {
  configPath: string;
  stage: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Base for the config path and for file names in messages. */
  cwd: string;
  port: number;
  host: string;
  executor?: ExecutorOptions;
  /** Watch the files and reload (default true). Without it a build error is thrown, as by `nano build`. */
  watch?: boolean;
  debounceMs?: number;
  /** Every reload after the first, whatever its outcome. */
  onReload?: (report: ReloadReport) => void;
  /** The watcher failed (e.g. the OS's limit of watches); serving goes on. */
  onWatchError?: (error: unknown) => void;
  /** A bug: a request or a reload failed in a way nano did not foresee. Serving goes on. */
  onInternalError?: (error: unknown) => void;
  onInvocation?: (invocation: Invocation) => void;
  /** Adds routes ahead of the functions' own (the console, /metrics). */
  extend?: DevServerOptions['extend'];
  /** A function's `build:` command starts, at the first build or a reload. */
  onCommand?: BuildOptions['onCommand'];
  maxBodyBytes?: number;
  /** How long a request that arrives before the first build is loaded waits for it, in ms (default 30 s). */
  startTimeoutMs?: number;
}

export interface DevSession {
  readonly url: string;
  readonly server: DevServer;
  /** The first build and load. */
  readonly initial: ReloadReport;
  /** The configuration in force (the last good one). */
  readonly config: ResolvedConfig;
  /** What is watched; undefined without watching. */
  readonly watching: WatchPlan | undefined;
  /** The functions serving now, with their versions. */
  served(): ServedFunction[];
  /** Resolves once no reload runs or is due. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function meaningOf(plan: WatchPlan, paths: readonly string[]): { configChanged: boolean; functions: string[] } {
  let configChanged = false;
  const functions = new Set<string>();
  for (const path of paths) {
    const meaning = plan.classify(path);
    if (meaning?.config) configChanged = true;
    meaning?.functions.forEach((name) => functions.add(name));
  }
  return { configChanged, functions: [...functions] };
}

export async function startDevSession(options: DevSessionOptions): Promise<DevSession> {
  const watching = options.watch ?? true;
  const internalError = (error: unknown) => options.onInternalError?.(error);
  const config = await resolveConfig(options.configPath, { stage: options.stage, env: options.env, cwd: options.cwd });
  // Aborted by close(): a `build:` command still running is stopped, so closing never waits on a compiler.
  const stopping = new AbortController();
  const server = await startDevServer({
    port: options.port,
    host: options.host,
    executor: options.executor,
    onInternalError: internalError,
    onInvocation: options.onInvocation,
    maxBodyBytes: options.maxBodyBytes,
    project: config,
    startTimeoutMs: options.startTimeoutMs,
    extend: options.extend,
  });
  const loaded = (report: ReloadReport) => {
    // What serves now, and why a declared function does not: the requests waiting for the first build go on.
    if (report.error === undefined) {
      const serving = server.loader.served().map((fn) => fn.artifact.name);
      server.declared.loaded(report.config, report.failures, serving);
    }
  };
  const reloader = new Reloader({
    config,
    loader: server.loader,
    configPath: options.configPath,
    stage: options.stage,
    env: options.env,
    cwd: options.cwd,
    onCommand: options.onCommand,
    signal: stopping.signal,
  });

  let watcher: ProjectWatcher | undefined;
  let scheduler: ReloadScheduler | undefined;
  const shutDown = async () => {
    stopping.abort();
    await watcher?.close();
    await scheduler?.close();
    await server.close();
  };
  const contents = new ContentFilter();
  const run = async (batch: ChangeBatch) => {
    if (!watcher) return;
    const paths = await contents.changed(batch.paths);
    if (paths.length === 0) return;
    const before = reloader.config;
    const report = await reloader.reload({ paths, ...meaningOf(watcher.plan, paths) });
    loaded(report);
    try {
      options.onReload?.(report);
    } catch (error) {
      internalError(error);
    }
    // Sources may have moved, functions come or gone: watch what the new configuration names.
    if (reloader.config !== before) await watcher.update(watchPlan(reloader.config));
  };

  try {
    if (watching) {
      const events = new ReloadScheduler({ debounceMs: options.debounceMs ?? DEFAULT_DEBOUNCE_MS, run, onError: internalError });
      scheduler = events;
      watcher = await watchProject(watchPlan(config), {
        onChange: (path) => {
          // Only what the plan in force cares about; the build's own output never gets here.
          if (watcher === undefined || watcher.plan.classify(path) !== undefined) events.notify(path);
        },
        onError: (error) => (options.onWatchError ?? internalError)(error),
      });
    }
    const initial = await reloader.reload({ paths: [], configChanged: false, functions: [] });
    if (initial.error !== undefined) throw initial.error;
    loaded(initial);
    if (!watching && initial.failures.length > 0) {
      throw (
        initial.buildError ??
        new ProblemsError(
          'BuildFailed',
          'some functions cannot be served:',
          initial.failures.flatMap((failure) => failure.problems),
        )
      );
    }
    scheduler?.start();
    const session: DevSession = {
      url: server.url,
      server,
      initial,
      get config() {
        return reloader.config;
      },
      get watching() {
        return watcher?.plan;
      },
      served: () => server.loader.served(),
      idle: async () => {
        await scheduler?.idle();
      },
      close: shutDown,
    };
    return session;
  } catch (error) {
    await shutDown();
    throw error;
  }
}
