/** What a build writes: runnable artifacts with memory capped to the limit, and the manifest later stages read. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/build/index.js';
import { build, readBuiltManifest } from '../helpers/build.js';
import { REPO_ROOT, removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SLEEP_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

async function artifact(dir: string, name: string): Promise<Buffer> {
  return readFile(join(dir, '.nano', 'build', `${name}.wasm`));
}

type Exports = Record<string, (...args: number[]) => number>;

async function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): Promise<Exports> {
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  return instance.exports as unknown as Exports;
}

/** `_start` returns the memory size in pages; `grow(n)` returns what memory.grow returns. */
const growable = (memory: string) => `(module
  ${memory}
  (func (export "_start") (result i32) (memory.size))
  (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages))))
`;

describe('build output', () => {
  it('writes runnable artifacts and a manifest describing each function', async () => {
    const dir = await tempProject({
      'nano.yml': yml(
        'service: demo',
        'defaults:',
        '  memory: 1',
        'functions:',
        '  answer:',
        '    source: functions/answer.wat',
        '  sum:',
        '    source: functions/sum.wat',
        '    timeout: 250ms',
        '    http: { method: POST, path: /sum }',
        '  sleep:',
        '    source: functions/sleep.wat',
        '    concurrency: 2',
      ),
      'functions/answer.wat': ANSWER_WAT,
      'functions/sum.wat': SUM_WAT,
      'functions/sleep.wat': SLEEP_WAT,
    });
    const result = await build(dir);
    expect(result.buildDir).toBe(join(dir, '.nano', 'build'));

    const manifest = await readBuiltManifest(dir);
    expect(manifest).toEqual(result.manifest);
    expect(await readManifest(result.buildDir)).toEqual(manifest);
    expect(manifest.version).toBe(1);
    expect(manifest.service).toBe('demo');
    expect(manifest.stage).toBe('dev');
    expect(Number.isNaN(Date.parse(manifest.builtAt))).toBe(false);

    const limits = { memoryPages: 1, timeoutMs: 5_000, cacheTtlMs: 60_000, concurrency: null };
    expect(manifest.functions.map(({ sha256: _sha, size: _size, inputHash: _input, ...rest }) => rest)).toEqual([
      {
        name: 'answer',
        artifact: 'answer.wasm',
        source: 'functions/answer.wat',
        entry: '_start',
        signature: { params: [], results: ['i32'] },
        imports: [],
        memory: null,
        limits,
        routes: [],
      },
      {
        name: 'sum',
        artifact: 'sum.wasm',
        source: 'functions/sum.wat',
        entry: '_start',
        signature: { params: ['i32', 'i32'], results: ['i32'] },
        imports: [],
        memory: null,
        limits: { ...limits, timeoutMs: 250 },
        routes: [{ method: 'POST', path: '/sum' }],
      },
      {
        name: 'sleep',
        artifact: 'sleep.wasm',
        source: 'functions/sleep.wat',
        entry: '_start',
        signature: { params: [], results: [] },
        imports: [{ module: 'platform', name: 'now', kind: 'function' }],
        memory: null,
        limits: { ...limits, concurrency: 2 },
        routes: [],
      },
    ]);

    for (const fn of manifest.functions) {
      const bytes = await artifact(dir, fn.name);
      expect(fn.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(fn.size).toBe(bytes.length);
    }
    expect((await instantiate(await artifact(dir, 'answer')))._start?.()).toBe(42);
    expect((await instantiate(await artifact(dir, 'sum')))._start?.(5, 2)).toBe(7);
  });

  it('caps an own memory to the limit, so memory.grow past it returns -1', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  grow:', '    source: functions/grow.wat', '    memory: 2'),
      'functions/grow.wat': growable('(memory 1)'),
    });
    const result = await build(dir);
    expect(result.manifest.functions[0]?.memory).toEqual({ imported: false, initialPages: 1, maximumPages: 2 });

    const exports = await instantiate(await artifact(dir, 'grow'));
    expect(exports._start?.()).toBe(1);
    expect(exports.grow?.(1)).toBe(1); // the old size: growing to 2 pages is allowed
    expect(exports.grow?.(1)).toBe(-1); // a third page is past the limit
    expect(exports._start?.()).toBe(2);
  });

  it('lowers a declared maximum above the limit, and keeps one below it', async () => {
    const dir = await tempProject({
      'nano.yml': yml(
        'service: demo',
        'defaults:',
        '  memory: 3',
        'functions:',
        '  above:',
        '    source: functions/above.wat',
        '  below:',
        '    source: functions/below.wat',
      ),
      'functions/above.wat': growable('(memory 1 100)'),
      'functions/below.wat': growable('(memory 1 2)'),
    });
    const result = await build(dir);
    expect(result.manifest.functions.map((fn) => fn.memory?.maximumPages)).toEqual([3, 2]);

    const above = await instantiate(await artifact(dir, 'above'));
    expect(above.grow?.(2)).toBe(1);
    expect(above.grow?.(1)).toBe(-1);
    const below = await instantiate(await artifact(dir, 'below'));
    expect(below.grow?.(2)).toBe(-1);
    expect(below.grow?.(1)).toBe(1);
  });

  it('records an imported platform.memory, sized by the limit', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  mem:', '    source: functions/mem.wat', '    memory: 3'),
      'functions/mem.wat': '(module (import "platform" "memory" (memory 1)) (func (export "_start") (result i32) (memory.size)))',
    });
    const result = await build(dir);
    const mem = result.manifest.functions[0];
    expect(mem?.imports).toEqual([{ module: 'platform', name: 'memory', kind: 'memory' }]);
    expect(mem?.memory).toEqual({ imported: true, initialPages: 1, maximumPages: 3 });

    // The platform supplies the memory; the module runs with the one it is given.
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 3 });
    const exports = await instantiate(await artifact(dir, 'mem'), { platform: { memory } });
    expect(exports._start?.()).toBe(1);
  });

  it('builds the shipped examples into the four seed functions and the wagi one', async () => {
    const files = Object.fromEntries(
      await Promise.all(
        ['nano.yml', 'functions/answer.wat', 'functions/sum.wat', 'functions/sleep.wat', 'functions/stuck.wat', 'functions/items.wat'].map(
          async (file) => [file, await readFile(join(REPO_ROOT, 'examples', file), 'utf8')] as const,
        ),
      ),
    );
    // Built in a copy, so the test never writes into the repository.
    const dir = await tempProject(files);
    const result = await build(dir);
    expect(result.reports.map((report) => [report.name, report.status])).toEqual([
      ['answer', 'built'],
      ['sum', 'built'],
      ['sleep', 'built'],
      ['stuck', 'built'],
      ['items', 'built'],
    ]);
  });
});
