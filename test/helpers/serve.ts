/**
 * A project served in-process, as `nano dev` serves it, for `app.request()`
 * tests: a temp copy of a project folder, built, loaded into a real executor.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { BuildLoader } from '../../src/dev/index.js';
import { createExecutor, type Executor, type ExecutorOptions } from '../../src/runtime/index.js';
import { createApp, RouteTable } from '../../src/server/index.js';
import { build } from './build.js';
import { REPO_ROOT, tempProject, writeFiles, type Files } from './project.js';

export interface ServedProject {
  dir: string;
  app: Hono;
  executor: Executor;
  routes: RouteTable;
  loader: BuildLoader;
  internalErrors: unknown[];
  close(): Promise<void>;
}

/** The examples/ project plus `extra` files (which may replace its nano.yml). */
export async function serveExamples(extra: Files = {}, executorOptions: ExecutorOptions = { poolSize: 2 }): Promise<ServedProject> {
  const dir = await tempProject();
  await cp(join(REPO_ROOT, 'examples', 'functions'), join(dir, 'functions'), { recursive: true });
  await cp(join(REPO_ROOT, 'examples', 'nano.yml'), join(dir, 'nano.yml'));
  await writeFiles(dir, extra);
  const built = await build(dir);
  const executor = createExecutor(executorOptions);
  const routes = new RouteTable();
  const loader = new BuildLoader(executor, routes);
  await loader.load(built);
  const internalErrors: unknown[] = [];
  const app = createApp({ host: executor, routes, onInternalError: (error) => internalErrors.push(error) });
  return { dir, app, executor, routes, loader, internalErrors, close: () => executor.close() };
}
