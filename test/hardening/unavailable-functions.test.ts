/**
 * Issue 10, defect 1: whatever the runtime refuses is refused before the
 * registry is written, and a registry that still holds a version the runtime
 * refuses (an older nano wrote it, a hand edit, a damaged disk) never keeps
 * `nano server` from starting: the function answers 503 with the reason.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeployPlan, FunctionList } from '../../src/server/index.js';
import type { RegistryState } from '../../src/registry/index.js';
import { build } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { snapshotDir } from '../helpers/dir-snapshot.js';
import { authHeaders, commit, deploy, plan, startServer, TOKEN, upload } from '../helpers/platform.js';
import { captureIo } from '../helpers/io.js';
import { main } from '../../src/cli/main.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';
import { wat } from '../runtime/helpers.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

/** An entry of 33 parameters: valid Wasm, but one value more than a call slot carries. */
const WIDE = `(module (func (export "_start") (param ${'i32 '.repeat(33)}) (result i32) local.get 32))`;
const LIMITS = { memoryPages: 1, timeoutMs: 1000, cacheTtlMs: 1000, concurrency: null };

async function twoConstants(): Promise<string> {
  const dir = await tempProject();
  await writeFiles(dir, {
    'nano.yml': yml('service: consts', 'functions:', '  f: { source: f.wat }', '  g: { source: g.wat }'),
    'f.wat': '(module (func (export "_start") (result i32) i32.const 1))',
    'g.wat': '(module (func (export "_start") (result i32) i32.const 2))',
  });
  return dir;
}

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('a module the runtime cannot call', () => {
  it('is refused by nano build', async () => {
    const dir = await tempProject();
    await writeFiles(dir, { 'nano.yml': yml('service: s', 'functions:', '  wide: { source: wide.wat }'), 'wide.wat': WIDE });
    await expect(build(dir)).rejects.toThrow(/entry "_start" takes 33 parameters; a nano function takes at most 32/);
  });

  it('is refused at commit by the server, every file of the registry unchanged, and a restart serves as before', async () => {
    const server = await startServer();
    const dir = await twoConstants();
    await deploy(server.url, await build(dir));
    const bytes = wat(WIDE);
    const sha256 = sha256Of(bytes);
    expect((await upload(server.url, sha256, bytes)).status).toBeLessThan(300);
    const request = {
      service: 'consts',
      stage: 'dev',
      prune: false,
      functions: [{ name: 'g', sha256, size: bytes.length, entry: '_start', limits: LIMITS, routes: [] }],
    };
    const planned = (await (await plan(server.url, request)).json()) as DeployPlan;
    const before = await snapshotDir(server.dataDir);
    const refused = await commit(server.url, planned.id);
    expect(refused.status).toBe(400);
    const error = await errorOf(refused);
    expect(error.code).toBe('ModuleRefused');
    expect(error.message).toMatch(/function "g" is refused: it entry "_start" takes 33 parameters/);
    expect(await snapshotDir(server.dataDir)).toEqual(before);
    expect(await (await fetch(`${server.url}/exec/g`)).text()).toBe('2');

    expect(await server.process.stop()).toBe(0);
    const restarted = await startServer({ dataDir: server.dataDir });
    expect(await (await fetch(`${restarted.url}/exec/g`)).text()).toBe('2');
  });
});

describe('a registry that holds a version the runtime refuses', () => {
  it('starts, serves the rest, answers that function 503 with the reason, reports it, and heals on the next deploy', async () => {
    const first = await startServer();
    const dir = await twoConstants();
    await deploy(first.url, await build(dir));
    expect(await first.process.stop()).toBe(0);

    // What an older nano could write: g's current version points at a module of 33 parameters.
    const wide = wat(WIDE);
    await writeFile(join(first.dataDir, 'artifacts', `${sha256Of(wide)}.wasm`), wide);
    const statePath = join(first.dataDir, 'state.json');
    const state = JSON.parse(await readFile(statePath, 'utf8')) as RegistryState;
    const g = state.functions.g!;
    Object.assign(
      g.versions.find((v) => v.version === g.current)!,
      { sha256: sha256Of(wide), size: wide.length },
    );
    await writeFile(statePath, JSON.stringify(state));

    const server = await startServer({ dataDir: first.dataDir });
    expect(server.process.stderr()).toMatch(/g is unavailable .*: function "g" is refused: it entry "_start" takes 33 parameters/);
    expect(server.process.stderr()).not.toMatch(/^\s+at /m);
    expect(await (await fetch(`${server.url}/exec/f`)).text()).toBe('1');

    const call = await fetch(`${server.url}/exec/g`);
    expect(call.status).toBe(503);
    const error = await errorOf(call);
    expect(error.code).toBe('FunctionUnavailable');
    expect(error.message).toMatch(/^function "g" cannot run: .*takes 33 parameters/);

    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; unavailable?: string[] };
    expect(health.status).toBe('degraded');
    expect(health.unavailable).toEqual(['g']);

    const list = (await (await fetch(`${server.url}/functions`, { headers: authHeaders() })).json()) as FunctionList;
    expect(list.unavailable?.map((fn) => fn.name)).toEqual(['g']);
    expect(list.functions.find((fn) => fn.name === 'g')?.unavailable).toMatch(/takes 33 parameters/);
    expect(list.functions.find((fn) => fn.name === 'f')?.unavailable).toBeUndefined();

    // nano info marks it and says why.
    const io = captureIo({ cwd: dir, env: { NANO_TOKEN: TOKEN } });
    expect(await main(['info', '--all', '--url', server.url], io)).toBe(0);
    expect(io.out()).toMatch(/\bg\s+v\d+ unavailable/);
    expect(io.err()).toMatch(/! g cannot run \(503 until redeployed\): function "g" is refused: it entry "_start" takes 33 parameters/);

    // The same good build, deployed again, replaces the refused version even though it is "unchanged".
    await deploy(server.url, await build(dir));
    expect(await (await fetch(`${server.url}/exec/g`)).text()).toBe('2');
    expect(((await (await fetch(`${server.url}/healthz`)).json()) as { status: string }).status).toBe('ok');
  });

  it('starts when the current version is missing from the record or its artifact is gone', async () => {
    const first = await startServer();
    const dir = await twoConstants();
    await deploy(first.url, await build(dir));
    expect(await first.process.stop()).toBe(0);

    const statePath = join(first.dataDir, 'state.json');
    const state = JSON.parse(await readFile(statePath, 'utf8')) as RegistryState;
    state.functions.f!.current = 99;
    state.functions.g!.versions[0]!.sha256 = 'e'.repeat(64);
    await writeFile(statePath, JSON.stringify(state));

    const server = await startServer({ dataDir: first.dataDir });
    for (const name of ['f', 'g']) {
      const call = await fetch(`${server.url}/exec/${name}`);
      expect(call.status, name).toBe(503);
      expect((await errorOf(call)).code, name).toBe('FunctionUnavailable');
    }
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { unavailable?: string[] };
    expect(health.unavailable).toEqual(['f', 'g']);
    const list = (await (await fetch(`${server.url}/functions`, { headers: authHeaders() })).json()) as FunctionList;
    expect(list.unavailable?.find((fn) => fn.name === 'f')?.reason).toMatch(/no version 99 of "f"/);
    await deploy(server.url, await build(dir));
    expect(await (await fetch(`${server.url}/exec/f`)).text()).toBe('1');
  });
});
