/**
 * Tables are bounded like memory: all of a function's tables together hold at
 * most MAX_TABLE_ELEMENTS elements. More at start is refused by `nano build`
 * and by the server's deploy (before the registry changes); the artifact's
 * maxima are rewritten so that `table.grow` past the limit returns -1.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkModule } from '../../src/build/index.js';
import { MAX_TABLE_ELEMENTS } from '../../src/build/table-limit.js';
import { readWasmLayout } from '../../src/build/wasm-reader.js';
import { ProblemsError } from '../../src/errors.js';
import type { DeployPlan } from '../../src/server/index.js';
import { build, buildError } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { snapshotDir } from '../helpers/dir-snapshot.js';
import { commit, deploy, plan, startServer, upload, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';
import { wat } from '../runtime/helpers.js';
import { serveWagi, type ServedWagi } from '../wagi/serve-wagi.js';
import { tableGrowWat } from './hostile-modules.js';

let served: ServedWagi | undefined;
let server: RunningServer | undefined;

afterEach(async () => {
  await served?.close();
  served = undefined;
  await removeTempProjects();
});

afterAll(async () => {
  await server?.process.stop('SIGTERM');
  await killStrayProcesses();
});

const LIMITS = { memoryPages: 1, timeoutMs: 5000, cacheTtlMs: 60_000, concurrency: null };
const check = (text: string) => checkModule(wat(text), { name: 'x', entry: '_start', limits: LIMITS });
const entry = '(func (export "_start"))';
const maxima = (bytes: Uint8Array) => readWasmLayout(bytes).tableSection?.tables.map((table) => table.maximum);

describe('the table limit', () => {
  it('is 65,536 elements', () => {
    expect(MAX_TABLE_ELEMENTS).toBe(65_536);
  });

  it.each([
    ['a table one element over', `(table ${MAX_TABLE_ELEMENTS + 1} funcref)`, 'a table of 65537'],
    ["a table past V8's own 10M", '(table 10000001 funcref)', 'a table of 10000001'],
    ['a table of 4G elements', '(table 4294967295 funcref)', 'a table of 4294967295'],
    ['two tables that fit apart but not together', '(table 40000 funcref) (table 40000 externref)', '2 tables of 80000'],
  ])('refuses %s at build', async (_, tables, what) => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  x: { source: functions/x.wat }'),
      'functions/x.wat': `(module ${tables} ${entry})`,
    });
    const error = await buildError(dir);
    expect(error).toBeInstanceOf(ProblemsError);
    expect((error as ProblemsError).message.split('\n')).toEqual([
      'build failed with 1 error; .nano/build was left as it was:',
      `  functions/x.wat: function "x" declares ${what} elements at start, above the platform's limit of 65536 table elements per function (all its tables together)`,
    ]);
  });

  it('caps the maxima in the artifact: min(maximum, limit), growth room to tables in order', () => {
    const capped = (text: string) => {
      const result = check(`(module ${text} ${entry})`);
      if (!result.ok) throw new Error(result.errors.join('; '));
      return maxima(result.info.bytes);
    };
    expect(capped('(table 1 funcref)')).toEqual([65_536]);
    expect(capped('(table 10 100 funcref)')).toEqual([100]);
    expect(capped('(table 10 70000 funcref)')).toEqual([65_536]);
    expect(capped('(table 1 funcref) (table 1 externref)')).toEqual([65_535, 1]);
    expect(capped('(table 5 5 funcref) (table 1 externref)')).toEqual([5, 65_531]);
  });

  it('leaves a module whose tables are within the limit byte for byte', () => {
    const bytes = wat(`(module (table 3 3 funcref) ${entry})`);
    const result = checkModule(bytes, { name: 'x', entry: '_start', limits: LIMITS });
    expect(result.ok && result.info.bytes).toEqual(bytes);
  });

  it('makes table.grow past the limit return -1, and growing up to it succeed', async () => {
    served = await serveWagi({
      'nano.yml': yml(
        'service: demo',
        'functions:',
        '  over: { source: functions/over.wat, memory: 1 }',
        '  upto: { source: functions/upto.wat, memory: 1 }',
      ),
      'functions/over.wat': tableGrowWat(MAX_TABLE_ELEMENTS),
      'functions/upto.wat': tableGrowWat(MAX_TABLE_ELEMENTS - 1),
    });
    expect(await (await served.app.request('/exec/over')).text()).toBe('-1');
    expect(await (await served.app.request('/exec/upto')).text()).toBe('1');
  });

  it("is refused by the server's deploy, with the registry's files left byte for byte", async () => {
    server = await startServer();
    const good = await build(
      await tempProject({
        'nano.yml': yml('service: demo', 'functions:', '  answer: { source: functions/answer.wat }'),
        'functions/answer.wat': ANSWER_WAT,
      }),
    );
    await deploy(server.url, good);
    const bytes = wat(`(module (table ${MAX_TABLE_ELEMENTS + 1} funcref) (func (export "_start") (result i32) (i32.const 1)))`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const template = good.manifest.functions[0]!;
    const request = {
      service: 'demo',
      stage: good.manifest.stage,
      prune: false,
      functions: [{ name: 'big', sha256, size: bytes.length, entry: '_start', limits: template.limits, routes: [] }],
    };
    const planned = (await (await plan(server.url, request)).json()) as DeployPlan;
    expect((await upload(server.url, sha256, bytes)).status).toBeLessThan(300);
    const before = await snapshotDir(server.dataDir);

    const refused = await commit(server.url, planned.id);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { code: 'ModuleRefused', message: expect.stringContaining('declares a table of 65537 elements at start') },
    });
    expect(await snapshotDir(server.dataDir)).toEqual(before);
    expect(await (await fetch(`${server.url}/exec/big`)).json()).toMatchObject({ error: { code: 'FunctionNotFound' } });
  });
});
