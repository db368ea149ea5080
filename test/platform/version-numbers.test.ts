/**
 * Version numbers are never reused for a function name on a platform: after a
 * removal (`DELETE /functions/<fn>`, or a deploy that drops the function) the
 * next deploy of that name continues from the last number it had, across
 * restarts and from a state.json written before the registry remembered them.
 * A real `nano server` on port 0, driven over HTTP with the deploy protocol.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FunctionList, VersionList } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { authHeaders, deploy, startServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

/** A project of functions that return a constant, each also served at `GET /<name>`. */
async function writeProject(dir: string, values: Record<string, number>): Promise<void> {
  const files: Record<string, string> = {
    'nano.yml': yml(
      'service: consts',
      'functions:',
      ...Object.keys(values).map((name) => `  ${name}: { source: ${name}.wat, http: { method: GET, path: /${name} } }`),
    ),
  };
  for (const [name, value] of Object.entries(values)) {
    files[`${name}.wat`] = `(module (func (export "_start") (result i32) i32.const ${value}))`;
  }
  await writeFiles(dir, files);
}

async function deployProject(url: string, dir: string, values: Record<string, number>): Promise<string[]> {
  await writeProject(dir, values);
  const { committed } = await deploy(url, await build(dir));
  return committed.functions.map((fn) => (fn.change === 'removed' ? `${fn.name} removed` : `${fn.name} ${fn.change} v${fn.version}`));
}

const control = (url: string, path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: authHeaders() });

async function listed(url: string): Promise<string[]> {
  const list = (await (await control(url, '/functions')).json()) as FunctionList;
  return list.functions.map((fn) => `${fn.name} v${fn.version}`);
}

describe('version numbers after a removal', () => {
  it('continue from the last number a removed function had, and the removed function is gone meanwhile', async () => {
    const server = await startServer();
    const { url } = server;
    const dir = await tempProject();
    expect(await deployProject(url, dir, { f: 1, g: 1 })).toEqual(['f created v1', 'g created v1']);
    expect(await deployProject(url, dir, { f: 2, g: 1 })).toEqual(['f updated v2', 'g unchanged v1']);
    expect(await deployProject(url, dir, { f: 3, g: 1 })).toEqual(['f updated v3', 'g unchanged v1']);

    // `nano remove -f f`: nothing of f is served or listed any more.
    const removed = await control(url, '/functions/f', { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await fetch(`${url}/exec/f`)).status).toBe(404);
    expect((await fetch(`${url}/f`)).status).toBe(404);
    expect(await listed(url)).toEqual(['g v1']);
    for (const path of ['/functions/f', '/functions/f/versions']) expect((await control(url, path)).status, path).toBe(404);

    // Deployed again, with the very artifact of v1: a new version, numbered after the last one.
    expect(await deployProject(url, dir, { f: 1, g: 1 })).toEqual(['f created v4', 'g unchanged v1']);
    const answer = await fetch(`${url}/exec/f`);
    expect(await answer.text()).toBe('1');
    expect(answer.headers.get('x-nano-version')).toBe('4');
    expect(await (await fetch(`${url}/f`)).text()).toBe('1');
    // The removed versions are not brought back: there is nothing to roll back to.
    const versions = (await (await control(url, '/functions/f/versions')).json()) as VersionList;
    expect(versions.versions.map((v) => v.version)).toEqual([4]);
    expect((await control(url, '/functions/f/rollback', { method: 'POST', body: '{}' })).status).toBe(404);

    // A whole-project deploy that drops g removes it; the number survives a restart.
    expect(await deployProject(url, dir, { f: 1 })).toEqual(['f unchanged v4', 'g removed']);
    expect((await fetch(`${url}/exec/g`)).status).toBe(404);
    expect(await listed(url)).toEqual(['f v4']);
    expect(await server.process.stop()).toBe(0);

    const restarted = await startServer({ dataDir: server.dataDir });
    expect(await listed(restarted.url)).toEqual(['f v4']);
    expect((await fetch(`${restarted.url}/g`)).status).toBe(404);
    expect(await deployProject(restarted.url, dir, { f: 1, g: 5 })).toEqual(['f unchanged v4', 'g created v2']);
    const g = await fetch(`${restarted.url}/g`);
    expect(await g.text()).toBe('5');
    expect(g.headers.get('x-nano-version')).toBe('2');
  });

  it('serves a data folder whose state.json predates lastVersions, and continues its numbers after a removal', async () => {
    const server = await startServer();
    const dir = await tempProject();
    await deployProject(server.url, dir, { f: 1 });
    expect(await deployProject(server.url, dir, { f: 2 })).toEqual(['f updated v2']);
    expect(await server.process.stop()).toBe(0);

    // The state.json an older nano wrote: the same document without the field.
    const statePath = join(server.dataDir, 'state.json');
    const { lastVersions, ...old } = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
    expect(lastVersions).toEqual({ f: 2 });
    await writeFile(statePath, JSON.stringify(old));

    const upgraded = await startServer({ dataDir: server.dataDir });
    const served = await fetch(`${upgraded.url}/exec/f`);
    expect(await served.text()).toBe('2');
    expect(served.headers.get('x-nano-version')).toBe('2');
    expect(await listed(upgraded.url)).toEqual(['f v2']);

    expect((await control(upgraded.url, '/functions/f', { method: 'DELETE' })).status).toBe(200);
    expect(await listed(upgraded.url)).toEqual([]);
    expect(await deployProject(upgraded.url, dir, { f: 1 })).toEqual(['f created v3']);
    expect(JSON.parse(await readFile(statePath, 'utf8'))).toMatchObject({ lastVersions: { f: 3 } });
  });
});
