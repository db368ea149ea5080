/** `nano dev` in-process: its flags, and the one line per reload it prints. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { printReload } from '../../src/cli/commands/dev.js';
import { main } from '../../src/cli/main.js';
import { createOutput } from '../../src/cli/output.js';
import type { ReloadReport } from '../../src/dev/index.js';
import { ProblemsError } from '../../src/errors.js';
import { captureIo } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { answerWat } from '../helpers/wat.js';
import { devProject, until } from './dev-process.js';

afterEach(removeTempProjects);

function printed(report: Partial<ReloadReport>) {
  const io = captureIo({ cwd: '/p' });
  const full = { trigger: ['functions/sum.wat'], durationMs: 11.6, changes: [], failures: [], config: { file: '/p/nano.yml' }, ...report };
  printReload(createOutput(io, { json: false }), full as ReloadReport, 'http://127.0.0.1:8000');
  return { out: io.out(), err: io.err() };
}

describe('printReload', () => {
  it('prints one line per function changed', () => {
    const { out, err } = printed({
      changes: [
        { name: 'sum', version: 3, change: 'updated', changed: ['code', 'limits'] },
        { name: 'stuck', version: 2, change: 'updated', changed: ['limits', 'routes'] },
        { name: 'mul', version: 1, change: 'added' },
        { name: 'old', version: 4, change: 'removed' },
      ],
    });
    expect(out.split('\n')).toEqual([
      '↻ sum rebuilt in 12 ms (v3)',
      '↻ stuck reloaded in 12 ms (v2: limits and routes changed)',
      '↻ mul added in 12 ms (v1) → http://127.0.0.1:8000/exec/mul',
      '↻ old removed (was v4); /exec/old now answers 404',
      '',
    ]);
    expect(err).toBe('');
  });

  it('prints a failure with its location, source line and caret, and what still serves; a repeated one not again', () => {
    const problem = {
      file: 'functions/sum.wat',
      line: 3,
      column: 5,
      message: 'error: unexpected token i32.ad',
      detail: '    i32.ad\n    ^^^^^^',
    };
    const { out, err } = printed({
      failures: [
        { name: 'sum', problems: [problem], serving: 2, repeated: false },
        { name: 'other', problems: [{ file: 'o.wat', message: 'x' }], serving: 1, repeated: true },
      ],
    });
    expect(err.split('\n')).toEqual([
      '✗ sum: functions/sum.wat:3:5: error: unexpected token i32.ad (still serving v2)',
      '      i32.ad',
      '      ^^^^^^',
      '',
    ]);
    expect(out).toBe('');
  });

  it('prints an invalid nano.yml as its located problems, and a reload that changed nothing as one quiet line', () => {
    const configError = new ProblemsError('ConfigInvalid', 'nano.yml is invalid (1 problem):', [
      { file: 'nano.yml', line: 7, column: 5, path: 'functions.sum.timout', message: 'unknown key "timout", did you mean "timeout"?' },
    ]);
    expect(printed({ configError }).err).toBe(
      '✗ nano.yml: nano.yml:7:5 functions.sum.timout: unknown key "timout", did you mean "timeout"? (still serving the last good configuration)\n',
    );
    const quiet = printed({ failures: [{ name: 'sum', problems: [], serving: 1, repeated: true }] });
    expect(quiet.out).toBe('· no change (functions/sum.wat); still failing: sum\n');
  });
});

describe('nano dev (in-process)', () => {
  it('refuses a bad --debounce as bad usage', async () => {
    const io = captureIo({ cwd: '/' });
    expect(await main(['dev', '--debounce', '-5'], io)).toBe(2);
    expect(io.err()).toContain('--debounce must be a whole number of ms from 0 to 60000, got -5');
  });

  it.each([
    [['dev', '--port', '-5'], '--port must be a whole number from 0 to 65535, got -5'],
    [['dev', '--port', 'x'], '--port must be a number, got "x"'],
    [['dev', '--workers', '0'], '--workers must be a whole number from 1 to 1024, got 0'],
    [['server', '--port', '70000'], '--port must be a whole number from 0 to 65535, got 70000'],
    [['server', '--max-body-size', 'x'], '--max-body-size must be a number, got "x"'],
    [['server', '--max-artifact-size', '1.5'], '--max-artifact-size must be a whole number of bytes from 1 to 1073741824, got 1.5'],
  ])('refuses %j as bad usage before starting anything', async (argv, message) => {
    const io = captureIo({ cwd: '/nonexistent' });
    expect(await main(argv, io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.out()).toBe('');
  });

  it('says when a build: command runs, and warns when no watch: globs would rerun it', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  seven:', '    source: out/seven.wat', '    build: node gen.mjs'),
      'gen.mjs':
        "import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('out', { recursive: true });\nwriteFileSync('out/seven.wat', '(module (func (export \"_start\") (result i32) i32.const 7))');\n",
    });
    let interrupt = () => {};
    const io = { ...captureIo({ cwd: dir }), interrupted: () => new Promise<void>((resolve) => (interrupt = resolve)) };
    const exit = main(['dev', '--port', '0', '--workers', '1'], io);
    await until(
      async () => io.out(),
      (out) => out.includes('listening on'),
      'the listening line',
    );
    interrupt();
    expect(await exit).toBe(0);
    expect(io.out()).toContain('· running `node gen.mjs` for seven\n');
    expect(io.out()).toContain(
      '! seven: its build command runs at start only; list the files it compiles under watch: to rebuild on save\n',
    );
  });

  it('serves, reloads on a save, and stops on Ctrl-C with exit 0', async () => {
    const dir = await devProject();
    let interrupt = () => {};
    const io = { ...captureIo({ cwd: dir }), interrupted: () => new Promise<void>((resolve) => (interrupt = resolve)) };
    const exit = main(['dev', '--port', '0', '--workers', '1', '--debounce', '20'], io);
    const [, url] = (
      await until(
        async () => io.out(),
        (out) => /listening on (\S+) —/.test(out),
        'the listening line',
      )
    ).match(/listening on (\S+) —/)!;
    expect(io.out()).toContain('watching 4 files (debounce 20 ms)');

    await writeFile(join(dir, 'functions/answer.wat'), answerWat(7));
    await until(
      async () => io.out(),
      (out) => /↻ answer rebuilt in \d+ ms \(v2\)/.test(out),
      'the reload line',
    );
    expect(await (await fetch(`${url}/exec/answer`)).text()).toBe('7');
    interrupt();
    expect(await exit).toBe(0);
    expect(io.out()).toContain('stopping…');
  });
});
