/**
 * `nano dev` without the CLI: build output → executor + routes → Hono app on a
 * socket. The socket and the app stay up for the server's life; functions are
 * swapped underneath them by the BuildLoader, so a new version never needs a
 * restart.
 */
import { createExecutor, type Executor, type ExecutorOptions } from '../runtime/index.js';
import { ClientErrors, createApp, listen, RouteTable, type LogEntry } from '../server/index.js';
import { BuildLoader, type LoadableBuild, type LoadedFunction, type LoadOptions } from './load-build.js';

export interface DevServerOptions {
  port: number;
  host: string;
  executor?: ExecutorOptions;
  onInternalError?: (error: unknown) => void;
  /** Each invocation, with the lines the function logged (nano dev prints them). */
  onInvocation?: (entry: LogEntry) => void;
  /** Largest request body a wagi function accepts, in bytes. */
  maxBodyBytes?: number;
}

export interface DevServer {
  url: string;
  executor: Executor;
  routes: RouteTable;
  /** What puts builds into the executor and the routes; it knows which versions serve. */
  loader: BuildLoader;
  /** Loads (or reloads) a build; new invocations get the new versions. */
  load(build: LoadableBuild, options?: LoadOptions): Promise<LoadedFunction[]>;
  close(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executor = createExecutor(options.executor);
  const routes = new RouteTable();
  const loader = new BuildLoader(executor, routes);
  // The same socket limits as `nano server`, at their defaults: a local server meets slow clients too.
  const clientErrors = new ClientErrors();
  const app = createApp({
    host: executor,
    routes,
    onInternalError: options.onInternalError,
    clientErrors,
    onInvocation: options.onInvocation,
    maxBodyBytes: options.maxBodyBytes,
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
    load: (build, loadOptions) => loader.load(build, loadOptions),
    close: async () => {
      await server.close();
      await executor.close();
    },
  };
}
