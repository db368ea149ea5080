import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProblemsError } from '../../src/errors.js';
import { initProject } from '../../src/init/index.js';
import { RouteTable } from '../../src/server/index.js';
import { build, buildError, readBuiltManifest } from '../helpers/build.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ECHO_WAT } from './modules.js';

afterEach(removeTempProjects);

const wagiProject = (source: string, extra = '') => ({
  'nano.yml': yml('service: demo', 'functions:', `  x: { source: functions/x.wat, abi: wagi${extra} }`),
  'functions/x.wat': source,
});

describe('the builder, for abi: wagi', () => {
  it('accepts WASI imports and records the abi and env in the manifest', async () => {
    const dir = await tempProject(wagiProject(ECHO_WAT, ', memory: 2, env: { MODE: test }'));
    await build(dir);
    const [fn] = (await readBuiltManifest(dir)).functions;
    expect(fn).toMatchObject({ name: 'x', abi: 'wagi', env: { MODE: 'test' }, signature: { params: [], results: [] } });
    expect(fn?.imports.map((i) => `${i.module}.${i.name}`)).toEqual([
      'wasi_snapshot_preview1.fd_read',
      'wasi_snapshot_preview1.fd_write',
      'wasi_snapshot_preview1.proc_exit',
    ]);
  });

  it('refuses platform imports, an entry with parameters, and a module without an exported memory', async () => {
    const wat = '(module (import "platform" "now" (func $now (result f64))) (func (export "_start") (param i32)))';
    const error = (await buildError(await tempProject(wagiProject(wat)))) as ProblemsError;
    const lines = error.message.split('\n').slice(1);
    expect(lines).toEqual([
      '  functions/x.wat: function "x" imports "platform.now", which the platform does not provide; allowed imports: the wasi_snapshot_preview1 functions (WASI preview 1)',
      '  functions/x.wat: function "x" entry "_start" of a wagi function must take and return nothing (a WASI command\'s _start), not (i32) -> ()',
      '  functions/x.wat: function "x" exports no memory named "memory"; a wagi (WASI) module must export its linear memory as "memory"',
    ]);
  });

  it('refuses a WASI import with the wrong type', async () => {
    const wat =
      '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))';
    const error = (await buildError(await tempProject(wagiProject(wat)))) as ProblemsError;
    expect(error.message).toContain(
      'imports "wasi_snapshot_preview1.fd_write" with type (i32) -> (), expected (i32, i32, i32, i32) -> i32',
    );
  });
});

describe('routes with a trailing wildcard', () => {
  it('match the prefix and below it, with the rest as pathInfo; exact routes and longer prefixes win', () => {
    const table = new RouteTable();
    table.replace([
      { name: 'items', routes: [{ method: 'ANY', path: '/api/items/*' }] },
      { name: 'special', routes: [{ method: 'GET', path: '/api/items/special' }] },
      { name: 'parts', routes: [{ method: 'POST', path: '/api/items/parts/*' }] },
    ]);
    expect(table.match('GET', '/api/items/42')).toMatchObject({ name: 'items', pathInfo: '/42' });
    expect(table.match('DELETE', '/api/items')).toMatchObject({ name: 'items', pathInfo: '' });
    expect(table.match('GET', '/api/items/special')).toMatchObject({ name: 'special', pathInfo: '' });
    expect(table.match('POST', '/api/items/parts/a/b')).toMatchObject({ name: 'parts', pathInfo: '/a/b' });
    expect(table.match('GET', '/api/items/parts/a')).toMatchObject({ name: 'items', pathInfo: '/parts/a' });
    expect(table.match('GET', '/api/itemsx')).toBeUndefined();
  });
});

describe('nano init --template wagi', () => {
  it('creates a wagi echo project that builds', async () => {
    const parent = await tempProject();
    const dir = join(parent, 'hello');
    await initProject(dir, 'wagi');
    expect(existsSync(join(dir, 'functions', 'echo.wat'))).toBe(true);
    await build(dir);
    expect((await readBuiltManifest(dir)).functions[0]).toMatchObject({ name: 'echo', abi: 'wagi' });
  });
});
