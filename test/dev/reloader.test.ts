/** One reload at a time, in-process (no watcher): what a bad edit keeps and what a good one swaps. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { BuildLoader } from '../../src/dev/index.js';
import { Reloader, type ReloadRequest } from '../../src/dev/reloader.js';
import { ProblemsError } from '../../src/errors.js';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { RouteTable } from '../../src/server/index.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';
import { answerWat, SUM_WAT } from '../helpers/wat.js';

let executor: Executor | undefined;

afterEach(async () => {
  await executor?.close();
  executor = undefined;
  await removeTempProjects();
});

const NANO_YML = yml('service: demo', 'functions:', '  answer: { source: answer.wat }', '  sum: { source: sum.wat }');
const BROKEN_SUM = '(module\n  (func (export "_start") (param i32 i32) (result i32)\n    local.get 0 local.get 1 i32.plus))\n';

async function setup() {
  const dir = await tempProject({ 'nano.yml': NANO_YML, 'answer.wat': answerWat(1), 'sum.wat': SUM_WAT });
  executor = createExecutor({ poolSize: 1 });
  const loader = new BuildLoader(executor, new RouteTable());
  const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
  const reloader = new Reloader({ config, loader, configPath: 'nano.yml', stage: 'dev', env: {}, cwd: dir });
  const edit = (paths: Record<string, string>, meaning: Partial<ReloadRequest> = {}) =>
    writeFiles(dir, paths).then(() =>
      reloader.reload({ paths: Object.keys(paths).map((path) => join(dir, path)), configChanged: false, functions: [], ...meaning }),
    );
  return { dir, executor, loader, reloader, edit, initial: await reloader.reload({ paths: [], configChanged: false, functions: [] }) };
}

describe('Reloader', () => {
  it('builds and serves everything at first', async () => {
    const { initial, executor } = await setup();
    expect(initial.changes.map((fn) => [fn.name, fn.change, fn.version])).toEqual([
      ['answer', 'added', 1],
      ['sum', 'added', 1],
    ]);
    expect(initial.failures).toEqual([]);
    expect(await executor.invoke('sum', [2, 3])).toMatchObject({ value: '5' });
  });

  it('lets a broken function keep its last good version while another one’s edit swaps in', async () => {
    const { executor, edit } = await setup();
    const report = await edit({ 'sum.wat': BROKEN_SUM, 'answer.wat': answerWat(2) }, { functions: ['sum', 'answer'] });

    expect(report.changes).toEqual([{ name: 'answer', version: 2, change: 'updated', changed: ['code'] }]);
    expect(report.failures).toHaveLength(1);
    const [failure] = report.failures;
    expect(failure).toMatchObject({ name: 'sum', serving: 1, repeated: false });
    expect(failure?.problems[0]).toMatchObject({ file: 'sum.wat', line: 3 });
    expect(failure?.problems[0]?.message).toMatch(/i32\.plus/);
    expect(report.buildError).toBeInstanceOf(ProblemsError);
    expect(await executor.invoke('sum', [2, 3])).toMatchObject({ value: '5', version: 1 });
    expect(await executor.invoke('answer')).toMatchObject({ value: '2', version: 2 });

    // An unrelated reload does not repeat the same error; touching sum again does.
    const unrelated = await edit({ 'answer.wat': answerWat(3) }, { functions: ['answer'] });
    expect(unrelated.failures).toEqual([expect.objectContaining({ name: 'sum', repeated: true })]);
    const again = await edit({ 'sum.wat': `${BROKEN_SUM}\n` }, { functions: ['sum'] });
    expect(again.failures).toEqual([expect.objectContaining({ name: 'sum', repeated: false })]);

    const fixed = await edit({ 'sum.wat': SUM_WAT.replace('i32.add', 'i32.mul') }, { functions: ['sum'] });
    expect(fixed.failures).toEqual([]);
    expect(fixed.changes).toEqual([{ name: 'sum', version: 2, change: 'updated', changed: ['code'] }]);
    expect(await executor.invoke('sum', [2, 3])).toMatchObject({ value: '6', version: 2 });
  });

  it('keeps the last good configuration when nano.yml is invalid, and applies the next valid one', async () => {
    const { reloader, executor, edit } = await setup();
    const before = reloader.config;
    const invalid = await edit({ 'nano.yml': NANO_YML.replace('sum: {', 'sum: { timout: 5s,') }, { configChanged: true });
    expect(invalid.configError).toBeInstanceOf(ProblemsError);
    expect((invalid.configError as ProblemsError).problems[0]).toMatchObject({ file: 'nano.yml', line: 4, path: 'functions.sum.timout' });
    expect(invalid.changes).toEqual([]);
    expect(reloader.config).toBe(before);

    const valid = await edit(
      {
        'nano.yml': yml('service: demo', 'functions:', '  answer: { source: answer.wat, timeout: 1s }', '  mul: { source: mul.wat }'),
        'mul.wat': SUM_WAT.replace('i32.add', 'i32.mul'),
      },
      { configChanged: true },
    );
    expect(valid.configError).toBeUndefined();
    expect(valid.changes.map((fn) => [fn.name, fn.change, fn.version])).toEqual([
      ['answer', 'updated', 2],
      ['mul', 'added', 1],
      ['sum', 'removed', 1],
    ]);
    expect(reloader.config.functions.map((fn) => fn.name)).toEqual(['answer', 'mul']);
    expect(executor.info('answer')?.limits.timeoutMs).toBe(1_000);
    await expect(executor.invoke('sum', [1, 2])).rejects.toMatchObject({ code: 'FunctionNotFound' });
  });

  it('reports a missing source as a located failure and serves on', async () => {
    const { dir, reloader, executor } = await setup();
    const { rm } = await import('node:fs/promises');
    await rm(join(dir, 'sum.wat'));
    const report = await reloader.reload({ paths: [join(dir, 'sum.wat')], configChanged: false, functions: ['sum'] });
    expect(report.failures).toEqual([expect.objectContaining({ name: 'sum', serving: 1 })]);
    expect(report.failures[0]?.problems[0]?.message).toMatch(/cannot read the source of function "sum": ENOENT/);
    expect(await executor.invoke('sum', [2, 3])).toMatchObject({ value: '5' });
  });
});
