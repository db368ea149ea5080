/**
 * Every module the builder refuses, with the exact message a user reads, and the
 * promise that a failed build leaves `.nano/build/` exactly as it was.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NanoError, ProblemsError } from '../../src/errors.js';
import { build, buildError, projectYaml } from '../helpers/build.js';
import { removeTempProjects, snapshotTree, tempProject, yml, type Files } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

/** The message of a build that must fail, split in lines as printed. */
async function failure(files: Files): Promise<string[]> {
  const dir = await tempProject(files);
  const error = await buildError(dir);
  expect(error).toBeInstanceOf(ProblemsError);
  expect((error as ProblemsError).code).toBe('BuildFailed');
  return (error as ProblemsError).message.split('\n');
}

/** One function `x` from functions/x.<ext>, with an optional memory limit. */
function single(source: string | Uint8Array, options: { ext?: 'wat' | 'wasm'; memory?: number; entry?: string } = {}): Files {
  const ext = options.ext ?? 'wat';
  const extra = [
    options.memory === undefined ? '' : `, memory: ${options.memory}`,
    options.entry === undefined ? '' : `, entry: ${options.entry}`,
  ];
  return {
    'nano.yml': yml('service: demo', 'functions:', `  x: { source: functions/x.${ext}${extra.join('')} }`),
    [`functions/x.${ext}`]: source,
  };
}

const ONE_ERROR = 'build failed with 1 error; .nano/build was left as it was:';

describe('the builder refuses', () => {
  it('a WAT syntax error, located, with the source line and a caret', async () => {
    const wat = '(module\n  (func (export "_start") (result i32)\n    i32.konst 42\n    return))\n';
    expect(await failure(single(wat))).toEqual([
      ONE_ERROR,
      '  functions/x.wat:3:5: error: unexpected token i32.konst, expected ).',
      '      i32.konst 42',
      '      ^^^^^^^^^',
    ]);
  });

  it('a WAT module that does not validate (type mismatch)', async () => {
    const wat = '(module\n  (func (export "_start") (result i32)\n    f64.const 1\n    return))\n';
    expect(await failure(single(wat))).toEqual([
      ONE_ERROR,
      '  functions/x.wat:4:5: error: type mismatch in return, expected [i32] but got [f64]',
      '      return))',
      '      ^^^^^^',
    ]);
  });

  it('a module without its entry, listing what it does export', async () => {
    const wat = '(module\n  (func (export "main") (result i32) i32.const 1)\n  (func (export "other")))\n';
    expect(await failure(single(wat))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" entry "_start" is not exported by the module; it exports "main", "other" (set `entry:` in nano.yml or export "_start")',
    ]);
  });

  it('a module that exports no function at all', async () => {
    expect(await failure(single('(module (memory (export "mem") 1))'))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" entry "_start" is not exported by the module; it exports no function (set `entry:` in nano.yml or export "_start")',
    ]);
  });

  it('an entry that is not a function', async () => {
    expect(await failure(single('(module (memory (export "_start") 1))', { memory: 1 }))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" entry "_start" is a memory, not a function',
    ]);
  });

  it('an entry with a type nano cannot pass', async () => {
    expect(await failure(single('(module (func (export "_start") (param externref)))'))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" entry "_start" uses externref; nano passes and returns only i32, i64, f32 and f64',
    ]);
  });

  it('imports outside the platform namespace, each named', async () => {
    const wat = [
      '(module',
      '  (import "env" "foo" (func $foo))',
      '  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))',
      '  (func (export "_start")))',
    ].join('\n');
    expect(await failure(single(wat))).toEqual([
      'build failed with 2 errors; .nano/build was left as it was:',
      '  functions/x.wat: function "x" imports "env.foo", which the platform does not provide; allowed imports: platform.now, platform.memory, platform.log',
      '  functions/x.wat: function "x" imports "wasi_snapshot_preview1.fd_write", which the platform does not provide (WASI imports need `abi: wagi` in nano.yml); allowed imports: platform.now, platform.memory, platform.log',
    ]);
  });

  it('platform.now with the wrong signature', async () => {
    const wat = '(module\n  (import "platform" "now" (func $now (result i32)))\n  (func (export "_start")))\n';
    expect(await failure(single(wat))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" imports "platform.now" with type () -> i32, expected () -> f64',
    ]);
  });

  it('platform.memory imported as a function', async () => {
    const wat = '(module\n  (import "platform" "memory" (func $m))\n  (func (export "_start")))\n';
    expect(await failure(single(wat))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" imports "platform.memory" as a function, but the platform provides it as a memory',
    ]);
  });

  it('an own memory that starts above the limit', async () => {
    expect(await failure(single('(module (memory 3) (func (export "_start")))', { memory: 2 }))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" needs 3 pages of memory at start, above its limit of 2 (raise `memory:` in nano.yml to at least 3)',
    ]);
  });

  it('an imported memory that starts above the limit', async () => {
    const wat = '(module (import "platform" "memory" (memory 4)) (func (export "_start")))';
    expect(await failure(single(wat, { memory: 2 }))).toEqual([
      ONE_ERROR,
      '  functions/x.wat: function "x" needs 4 pages of memory at start, above its limit of 2 (raise `memory:` in nano.yml to at least 4)',
    ]);
  });

  it('a .wasm file that is not Wasm', async () => {
    // Fixed bytes rather than random ones, so that the test cannot pass or fail by chance.
    const bytes = new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) % 256));
    expect(await failure(single(bytes, { ext: 'wasm' }))).toEqual([
      ONE_ERROR,
      '  functions/x.wasm: function "x" is not a WebAssembly module (it does not start with the bytes \\0asm)',
    ]);
  });

  it('a truncated .wasm file', async () => {
    // The magic and version, then a type section that claims 5 bytes and has none.
    const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05]);
    expect(await failure(single(bytes, { ext: 'wasm' }))).toEqual([
      ONE_ERROR,
      '  functions/x.wasm: function "x" is not a valid WebAssembly module: section (code 1, "Type") extends past end of the module (length 5, remaining bytes 0) @+8',
    ]);
  });

  it('and lists every error of every function at once, in nano.yml order', async () => {
    const lines = await failure({
      'nano.yml': projectYaml({
        good: 'functions/good.wat',
        broken: 'functions/broken.wat',
        foreign: 'functions/foreign.wat',
        junk: 'functions/junk.wasm',
      }),
      'functions/good.wat': SUM_WAT,
      'functions/broken.wat': '(module\n  (func (export "_start")\n    i32.add))\n',
      'functions/foreign.wat': '(module (import "env" "log" (func)) (func (export "run")))',
      'functions/junk.wasm': 'not wasm at all',
    });
    expect(lines).toEqual([
      'build failed with 5 errors; .nano/build was left as it was:',
      '  functions/broken.wat:3:5: error: type mismatch in i32.add, expected [i32, i32] but got []',
      '      i32.add))',
      '      ^^^^^^^',
      '  functions/broken.wat:3:5: error: type mismatch at end of function, expected [] but got [i32]',
      '      i32.add))',
      '      ^^^^^^^',
      '  functions/foreign.wat: function "foreign" entry "_start" is not exported by the module; it exports "run" (set `entry:` in nano.yml or export "_start")',
      '  functions/foreign.wat: function "foreign" imports "env.log", which the platform does not provide; allowed imports: platform.now, platform.memory, platform.log',
      '  functions/junk.wasm: function "junk" is not a WebAssembly module (it does not start with the bytes \\0asm)',
    ]);
  });
});

describe('the builder accepts', () => {
  it('a custom entry:', async () => {
    const dir = await tempProject(single('(module (func (export "main") (param f64) (result i64) i64.const 7))', { entry: 'main' }));
    const result = await build(dir);
    const x = result.manifest.functions[0];
    expect(x?.entry).toBe('main');
    expect(x?.signature).toEqual({ params: ['f64'], results: ['i64'] });
  });

  it('a .wasm file as is', async () => {
    const first = await tempProject({ 'nano.yml': projectYaml({ sum: 'functions/sum.wat' }), 'functions/sum.wat': SUM_WAT });
    await build(first);
    const wasm = await readFile(join(first, '.nano', 'build', 'sum.wasm'));
    const dir = await tempProject({ 'nano.yml': projectYaml({ sum: 'sum.wasm' }), 'sum.wasm': wasm });
    const result = await build(dir);
    expect(result.manifest.functions[0]?.signature).toEqual({ params: ['i32', 'i32'], results: ['i32'] });
    expect(result.manifest.functions[0]?.source).toBe('sum.wasm');
  });
});

describe('a failed build', () => {
  const good: Files = {
    'nano.yml': projectYaml({ answer: 'functions/answer.wat', sum: 'functions/sum.wat' }),
    'functions/answer.wat': ANSWER_WAT,
    'functions/sum.wat': SUM_WAT,
  };

  it('leaves .nano/build/ byte for byte as it was, with no temporary folder behind', async () => {
    const dir = await tempProject(good);
    await build(dir);
    const before = await snapshotTree(join(dir, '.nano'));
    expect([...before.keys()].sort()).toEqual(['build/answer.wasm', 'build/manifest.json', 'build/sum.wasm']);

    // One function edited into a broken one, another edited validly: neither may reach .nano/build/.
    await writeFile(join(dir, 'functions', 'sum.wat'), '(module (func (export "_start") i32.konst 1))');
    await writeFile(join(dir, 'functions', 'answer.wat'), ANSWER_WAT.replace('42', '43'));
    const error = await buildError(dir);
    expect(error).toBeInstanceOf(NanoError);
    expect((error as NanoError).code).toBe('BuildFailed');

    expect(await snapshotTree(join(dir, '.nano'))).toEqual(before);
    expect(await readdir(join(dir, '.nano'))).toEqual(['build']);
  });

  it('creates no .nano/build/ when there was none', async () => {
    const dir = await tempProject({ ...good, 'functions/sum.wat': '(module (func (export "_start") i32.konst 1))' });
    await buildError(dir);
    expect(existsSync(join(dir, '.nano', 'build'))).toBe(false);
    const leftovers = existsSync(join(dir, '.nano')) ? await readdir(join(dir, '.nano')) : [];
    expect(leftovers).toEqual([]);
  });
});
