/**
 * A Platform in the test's own process, on a file registry in a temp folder,
 * with one function `g` answering a constant: for the tests that reach into
 * the platform (its executor, its store) rather than through a socket.
 */
import { join } from 'node:path';
import { FileRegistry } from '../../src/registry/index.js';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { Platform, RouteTable } from '../../src/server/index.js';
import { build } from './build.js';
import { deployRequest } from './platform.js';
import { tempProject, writeFiles, yml } from './project.js';

const constant = (value: number) => `(module (func (export "_start") (result i32) i32.const ${value}))`;

const executors = new Set<Executor>();

export async function inProcessPlatform() {
  const dir = await tempProject();
  const dataDir = join(dir, 'data');
  const store = await FileRegistry.open(dataDir);
  const executor = createExecutor({ poolSize: 1 });
  executors.add(executor);
  const platform = new Platform({ registry: store, executor, routes: new RouteTable(), publicUrl: () => 'http://x', nodeId: 'test' });
  await platform.loadAll();
  /** Builds `g` answering `value`. */
  const buildG = async (value: number) => {
    await writeFiles(dir, { 'nano.yml': yml('service: s', 'functions:', '  g: { source: g.wat }'), 'g.wat': constant(value) });
    return build(dir);
  };
  /** Plans a deploy of `g` answering `value` and uploads what it lacks; returns the id to commit. */
  const plan = async (value: number) => {
    const built = await buildG(value);
    const { id, missing } = await platform.plan(deployRequest(built));
    for (const sha256 of missing) await platform.upload(sha256, built.artifacts.get('g')!);
    return id;
  };
  return { dataDir, store, platform, executor, buildG, plan };
}

/** Closes every executor inProcessPlatform() started (call from afterEach). */
export async function closeInProcessPlatforms(): Promise<void> {
  await Promise.all([...executors].map((executor) => executor.close()));
  executors.clear();
}
