/** A project of WAGI (and args) functions served in-process, with the invocation log collected. */
import type { Hono } from 'hono';
import { BuildLoader } from '../../src/dev/index.js';
import { createExecutor, type Executor, type ExecutorOptions } from '../../src/runtime/index.js';
import { createApp, RouteTable, type AppOptions, type Invocation } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { tempProject, type Files } from '../helpers/project.js';

export interface ServedWagi {
  app: Hono;
  executor: Executor;
  logs: Invocation[];
  close(): Promise<void>;
}

export async function serveWagi(
  files: Files,
  options: { executor?: ExecutorOptions; app?: Partial<AppOptions> } = {},
): Promise<ServedWagi> {
  const dir = await tempProject(files);
  const built = await build(dir);
  const executor = createExecutor(options.executor ?? { poolSize: 2 });
  const routes = new RouteTable();
  await new BuildLoader(executor, routes).load(built);
  const logs: Invocation[] = [];
  const app = createApp({ host: executor, routes, onInvocation: (entry) => logs.push(entry), ...options.app });
  return { app, executor, logs, close: () => executor.close() };
}
