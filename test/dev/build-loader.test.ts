import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BuildLoader } from '../../src/dev/index.js';
import { createExecutor, type Executor } from '../../src/runtime/index.js';
import { RouteTable } from '../../src/server/index.js';
import { build, projectYaml } from '../helpers/build.js';
import { removeTempProjects, tempProject, writeFiles } from '../helpers/project.js';
import { answerWat, SUM_WAT } from '../helpers/wat.js';

let executor: Executor | undefined;

afterEach(async () => {
  await executor?.close();
  executor = undefined;
  await removeTempProjects();
});

function setup() {
  executor = createExecutor({ poolSize: 1 });
  const routes = new RouteTable();
  return { executor, routes, loader: new BuildLoader(executor, routes) };
}

describe('BuildLoader', () => {
  it('serves the bytes the build produced, without reading .nano/build/ again (another build may be swapping it)', async () => {
    const { executor, loader } = setup();
    const dir = await tempProject({ 'nano.yml': projectYaml({ answer: 'a.wat' }), 'a.wat': answerWat(7) });
    const built = await build(dir);
    await rm(built.buildDir, { recursive: true });
    expect(await loader.load(built)).toEqual([{ name: 'answer', version: 1, change: 'added' }]);
    expect((await executor.invoke('answer')).value).toBe('7');
  });

  it('versions only what changed, and says what changed', async () => {
    const { executor, loader } = setup();
    const dir = await tempProject({ 'nano.yml': projectYaml({ answer: 'a.wat', sum: 's.wat' }), 'a.wat': answerWat(1), 's.wat': SUM_WAT });
    const first = await build(dir);
    expect(await loader.load(first)).toEqual([
      { name: 'answer', version: 1, change: 'added' },
      { name: 'sum', version: 1, change: 'added' },
    ]);

    await writeFiles(dir, {
      'a.wat': answerWat(2),
      'nano.yml': projectYaml({ answer: 'a.wat', sum: 's.wat' }, ['defaults: { timeout: 2s }']),
    });
    const second = await build(dir);
    const deployMany = vi.spyOn(executor, 'deployMany');
    expect(await loader.load(second)).toEqual([
      { name: 'answer', version: 2, change: 'updated', changed: ['code', 'limits'] },
      { name: 'sum', version: 2, change: 'updated', changed: ['limits'] },
    ]);
    // Both switched in one step, as a platform deploy commits.
    expect(deployMany.mock.calls.map(([items]) => items.map((item) => item.fn.name))).toEqual([['answer', 'sum']]);
    expect(await loader.load(second)).toEqual([
      { name: 'answer', version: 2, change: 'unchanged' },
      { name: 'sum', version: 2, change: 'unchanged' },
    ]);
    expect(await executor.invoke('answer')).toMatchObject({ value: '2', version: 2 });
  });

  it('keeps a function the build lacks when told to, with its routes; removes it otherwise', async () => {
    const { executor, routes, loader } = setup();
    const yaml = (extra = '') => projectYaml({ answer: 'a.wat' }) + `  sum: { source: s.wat, http: { path: /add } }\n${extra}`;
    const dir = await tempProject({ 'nano.yml': yaml(), 'a.wat': answerWat(1), 's.wat': SUM_WAT });
    const both = await build(dir);
    await loader.load(both);

    await writeFiles(dir, { 'nano.yml': projectYaml({ answer: 'a.wat' }) });
    const answerOnly = await build(dir);
    expect(await loader.load(answerOnly, { keep: ['sum'] })).toContainEqual({
      name: 'sum',
      version: 1,
      change: 'kept',
    });
    expect(routes.match('GET', '/add')?.name).toBe('sum');
    expect(await executor.invoke('sum', [2, 3])).toMatchObject({ value: '5', version: 1 });
    expect(loader.served().map((fn) => [fn.artifact.name, fn.version])).toEqual([
      ['answer', 1],
      ['sum', 1],
    ]);

    expect(await loader.load(answerOnly)).toContainEqual({ name: 'sum', version: 1, change: 'removed' });
    expect(executor.has('sum')).toBe(false);
    expect(routes.match('GET', '/add')).toBeUndefined();
    expect(loader.version('sum')).toBeNull();
  });

  it('keeps serving the previous version (and its routes) of a function whose new module the executor refuses', async () => {
    const { executor, routes, loader } = setup();
    const yaml = '  sum: { source: s.wat, http: { path: /add } }\n';
    const dir = await tempProject({ 'nano.yml': projectYaml({ answer: 'a.wat' }) + yaml, 'a.wat': answerWat(1), 's.wat': SUM_WAT });
    const good = await build(dir);
    await loader.load(good);

    await writeFiles(dir, { 's.wat': SUM_WAT.replace('i32.add', 'i32.sub'), 'a.wat': answerWat(2) });
    const next = await build(dir);
    // Bytes the executor cannot compile, as if damaged after the build (every check of the build passed).
    const damaged = { ...next, artifacts: new Map(next.artifacts).set('sum', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 0xff])) };
    const results = await loader.load(damaged);
    expect(results).toContainEqual({ name: 'answer', version: 2, change: 'updated', changed: ['code'] });
    const refused = results.find((fn) => fn.name === 'sum');
    expect(refused).toMatchObject({ change: 'refused', version: 1 });
    expect(String(refused?.error)).toMatch(/sum cannot be deployed: the artifact is not valid WebAssembly/);
    expect(await executor.invoke('sum', [2, 3])).toMatchObject({ value: '5', version: 1 });
    expect(routes.match('GET', '/add')?.name).toBe('sum');
  });
});
