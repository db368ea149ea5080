/**
 * `nano dev` without the CLI: build output → executor + routes → Hono app on a
 * socket. The socket and the app stay up for the server's life; functions are
 * swapped underneath them by the BuildLoader, so a new version never needs a
 * restart. Given the configuration, the socket opens before the first build is
 * loaded, and a request for a declared function waits for it (declared-project.ts).
 */
import type { Hono } from 'hono';
import type { ResolvedConfig } from '../config/index.js';
import { createExecutor, type Executor, type ExecutorOptions } from '../runtime/index.js';
import { ClientErrors, createApp, listen, RouteTable, type Invocation } from '../server/index.js';
import { DeclaredProject } from './declared-project.js';
import { BuildLoader, type LoadableBuild, type LoadedFunction, type LoadOptions } from './load-build.js';

export interface DevServerOptions {
  port: number;
  host: string;
  executor?: ExecutorOptions;
  onInternalError?: (error: unknown) => void;
  /** Each invocation, with the lines the function logged (nano dev prints them). */
  onInvocation?: (invocation: Invocation) => void;
  /** Largest request body a wagi function accepts, in bytes. */
  maxBodyBytes?: number;
  /**
   * The project, when its first build is not loaded yet: requests for its functions wait for
   * `declared.loaded()` (up to `startTimeoutMs`), and /healthz answers 503 `starting` until then.
   */
  project?: ResolvedConfig;
  startTimeoutMs?: number;
  /** Adds routes ahead of the functions' own (the console, /metrics). */
  extend?: (app: Hono, context: { executor: Executor }) => void;
}

export interface DevServer {
  url: string;
  executor: Executor;
  routes: RouteTable;
  /** What puts builds into the executor and the routes; it knows which versions serve. */
  loader: BuildLoader;
  /** The functions nano.yml declares: told of every load by the session (`declared.loaded()`). */
  declared: DeclaredProject;
  /** Loads (or reloads) a build; new invocations get the new versions. */
  load(build: LoadableBuild, options?: LoadOptions): Promise<LoadedFunction[]>;
  close(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executor = createExecutor(options.executor);
  const routes = new RouteTable();
  const loader = new BuildLoader(executor, routes);
  const declared = new DeclaredProject(options.project, options.startTimeoutMs);
  // The same socket limits as `nano server`, at their defaults: a local server meets slow clients too.
  const clientErrors = new ClientErrors();
  const app = createApp({
    host: executor,
    routes,
    onInternalError: options.onInternalError,
    clientErrors,
    onInvocation: options.onInvocation,
    maxBodyBytes: options.maxBodyBytes,
    declared,
    readiness: declared.readiness,
    extend: options.extend && ((app) => options.extend?.(app, { executor })),
  });
  let listening;
  try {
    listening = await listen(app, { port: options.port, host: options.host, clientErrors });
  } catch (error) {
    await executor.close();
    throw error;
  }
  const server = listening;
  return {
    url: server.url,
    executor,
    routes,
    loader,
    declared,
    load: (build, loadOptions) => loader.load(build, loadOptions),
    close: async () => {
      declared.close();
      await server.close();
      await executor.close();
    },
  };
}
