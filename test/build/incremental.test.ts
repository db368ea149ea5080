/** A rebuild redoes only what changed (source bytes, entry, memory limit) and says which were up to date. */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileWat } from '../../src/build/compile-wat.js';
import type * as CompileWatModule from '../../src/build/compile-wat.js';
import { NanoError } from '../../src/errors.js';
import { build, buildError, readBuiltManifest, statuses } from '../helpers/build.js';
import { removeTempProjects, snapshotTree, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, answerWat, SUM_WAT } from '../helpers/wat.js';

// The real compiler, watched: which sources a build compiles is what "incremental" means.
vi.mock('../../src/build/compile-wat.js', async (importOriginal) => {
  const actual = await importOriginal<typeof CompileWatModule>();
  return { ...actual, compileWat: vi.fn(actual.compileWat) };
});

afterEach(removeTempProjects);

/** What `run` returns, and the sources it compiled (as messages name them). */
async function watchCompiles<T>(run: () => Promise<T>): Promise<{ result: T; compiled: string[] }> {
  vi.mocked(compileWat).mockClear();
  const result = await run();
  return { result, compiled: vi.mocked(compileWat).mock.calls.map(([file]) => file) };
}

const config = (sumExtra: string[] = []) =>
  yml(
    'service: demo',
    'functions:',
    '  answer:',
    '    source: functions/answer.wat',
    '  sum:',
    '    source: functions/sum.wat',
    ...sumExtra,
  );

async function project(): Promise<string> {
  const dir = await tempProject({ 'nano.yml': config(), 'functions/answer.wat': ANSWER_WAT, 'functions/sum.wat': SUM_WAT });
  expect(statuses(await build(dir))).toEqual({ answer: 'built', sum: 'built' });
  return dir;
}

const artifacts = async (dir: string) => {
  const tree = await snapshotTree(join(dir, '.nano', 'build'));
  tree.delete('manifest.json');
  return tree;
};

describe('incremental rebuild', () => {
  it('finds everything up to date the second time, and leaves the artifacts as they were', async () => {
    const dir = await project();
    const before = await artifacts(dir);
    const manifestBefore = await readBuiltManifest(dir);

    const second = await watchCompiles(() => build(dir));
    expect(second.compiled).toEqual([]);
    expect(statuses(second.result)).toEqual({ answer: 'up to date', sum: 'up to date' });
    expect(await artifacts(dir)).toEqual(before);
    expect((await readBuiltManifest(dir)).functions).toEqual(manifestBefore.functions);
  });

  it('rebuilds only the function whose source changed', async () => {
    const dir = await project();
    const before = await readBuiltManifest(dir);
    await writeFile(join(dir, 'functions', 'answer.wat'), answerWat(43));

    const { result, compiled } = await watchCompiles(() => build(dir));
    expect(compiled).toEqual(['functions/answer.wat']);
    expect(statuses(result)).toEqual({ answer: 'built', sum: 'up to date' });
    const after = await readBuiltManifest(dir);
    expect(after.functions[0]?.sha256).not.toBe(before.functions[0]?.sha256);
    expect(after.functions[1]).toEqual(before.functions[1]);
  });

  it('rebuilds a function whose memory limit changed, capping to the new limit', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  mem:', '    source: functions/mem.wat', '    memory: 2'),
      'functions/mem.wat': '(module (memory 1) (func (export "_start")))',
    });
    await build(dir);
    await writeFile(join(dir, 'nano.yml'), yml('service: demo', 'functions:', '  mem:', '    source: functions/mem.wat', '    memory: 5'));

    const result = await build(dir);
    expect(statuses(result)).toEqual({ mem: 'built' });
    expect(result.manifest.functions[0]?.memory?.maximumPages).toBe(5);
    expect(result.manifest.functions[0]?.limits.memoryPages).toBe(5);
  });

  it('rebuilds a function whose entry changed', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  two:', '    source: functions/two.wat'),
      'functions/two.wat': '(module (func (export "_start") (result i32) i32.const 1) (func (export "alt") (param i64)))',
    });
    await build(dir);
    await writeFile(join(dir, 'nano.yml'), yml('service: demo', 'functions:', '  two:', '    source: functions/two.wat', '    entry: alt'));

    const result = await build(dir);
    expect(statuses(result)).toEqual({ two: 'built' });
    expect(result.manifest.functions[0]?.signature).toEqual({ params: ['i64'], results: [] });
  });

  it('does not recompile for a new route or timeout, but writes them to the manifest', async () => {
    const dir = await project();
    const before = await artifacts(dir);
    await writeFile(join(dir, 'nano.yml'), config(['    timeout: 2s', '    http: { method: POST, path: /add }']));

    const { result, compiled } = await watchCompiles(() => build(dir));
    expect(compiled).toEqual([]);
    expect(statuses(result)).toEqual({ answer: 'up to date', sum: 'up to date' });
    expect(await artifacts(dir)).toEqual(before);
    const sum = (await readBuiltManifest(dir)).functions[1];
    expect(sum?.routes).toEqual([{ method: 'POST', path: '/add' }]);
    expect(sum?.limits.timeoutMs).toBe(2_000);
  });

  it('rebuilds an artifact that went missing from .nano/build/', async () => {
    const dir = await project();
    await rm(join(dir, '.nano', 'build', 'sum.wasm'));
    expect(statuses(await build(dir))).toEqual({ answer: 'up to date', sum: 'built' });
    expect((await readFile(join(dir, '.nano', 'build', 'sum.wasm'))).length).toBeGreaterThan(8);
  });

  it('rebuilds everything when the manifest is unreadable', async () => {
    const dir = await project();
    await writeFile(join(dir, '.nano', 'build', 'manifest.json'), '{ not json');
    expect(statuses(await build(dir))).toEqual({ answer: 'built', sum: 'built' });
    expect((await readBuiltManifest(dir)).functions.map((fn) => fn.name)).toEqual(['answer', 'sum']);
  });

  describe('only some functions (-f)', () => {
    it('builds only the named function, keeping the others that are current', async () => {
      const dir = await project();
      await writeFile(join(dir, 'functions', 'sum.wat'), SUM_WAT.replace('i32.add', 'i32.sub'));

      const result = await build(dir, { only: ['sum'] });
      expect(statuses(result)).toEqual({ sum: 'built' });
      expect((await readBuiltManifest(dir)).functions.map((fn) => fn.name)).toEqual(['answer', 'sum']);
    });

    it('builds only the named function in a fresh project', async () => {
      const dir = await tempProject({ 'nano.yml': config(), 'functions/answer.wat': ANSWER_WAT, 'functions/sum.wat': SUM_WAT });
      const result = await build(dir, { only: ['answer'] });
      expect(statuses(result)).toEqual({ answer: 'built' });
      expect(result.manifest.functions.map((fn) => fn.name)).toEqual(['answer']);
    });

    it('does not compile the others, even when they are stale or broken', async () => {
      const dir = await project();
      await writeFile(join(dir, 'functions', 'answer.wat'), answerWat(7));
      await writeFile(join(dir, 'functions', 'sum.wat'), '(module');
      const { result, compiled } = await watchCompiles(() => build(dir, { only: ['answer'] }));
      expect(compiled).toEqual(['functions/answer.wat']);
      expect(statuses(result)).toEqual({ answer: 'built' });
      // The stale, broken sum is left out of the manifest rather than described by an old artifact.
      expect((await readBuiltManifest(dir)).functions.map((fn) => fn.name)).toEqual(['answer']);
    });

    it('refuses a name that is not a function of the project', async () => {
      const dir = await project();
      const before = await snapshotTree(join(dir, '.nano'));
      const error = await buildError(dir, { only: ['sum', 'nope'] });
      expect(error).toBeInstanceOf(NanoError);
      expect((error as NanoError).code).toBe('FunctionNotFound');
      expect((error as NanoError).message).toBe('no function named "nope" in nano.yml');
      expect((error as NanoError).hint).toBe('functions: answer, sum');
      expect(await snapshotTree(join(dir, '.nano'))).toEqual(before);
    });
  });
});
