/**
 * Errors that help, in every mode (issue 12, item 5), through the real CLI in-process: a usage error under
 * --json is a JSON error on stdout, yargs' own messages are worded as nano's with a did-you-mean, and a
 * progress line left by a failed build is cleared before the error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo, type CaptureOptions, type CapturedIo } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

async function run(argv: string[], options: Partial<CaptureOptions> = {}): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo({ cwd: options.cwd ?? (await tempProject()), ...options });
  const code = await main(argv, io);
  return { code, io };
}

describe('a usage error under --json', () => {
  it.each([
    [['info', '--json', '--url', 'nope'], '--url: "nope" is not a URL'],
    [['dev', '--json', '-p', 'abc'], '--port must be a number, got "abc"'],
    [['--json', 'invoke'], 'nano invoke needs a function name: nano invoke <fn> [args]'],
    [['dev', '--prot', '3', '--json'], 'nano dev has no flag --prot'],
  ])('%j prints a JSON error on stdout and exits 2', async (argv, message) => {
    const { code, io } = await run(argv);
    expect(code).toBe(2);
    const printed = JSON.parse(io.out()) as { error: { code: string; message: string; hint: string } };
    expect(printed.error.code).toBe('BadUsage');
    expect(printed.error.message).toBe(message);
    expect(printed.error.hint).toEqual(expect.any(String));
    expect(io.err()).toBe('');
  });

  it('keeps the shape of the other JSON errors: { error: { code, message, hint } }', async () => {
    const { io } = await run(['deplyo', '--json']);
    expect(JSON.parse(io.out())).toEqual({
      error: { code: 'BadUsage', message: 'unknown command "deplyo"', hint: 'did you mean `nano deploy`?' },
    });
  });

  it('is not taken from what follows --, which belongs to a function', async () => {
    const { code, io } = await run(['invoke', '--', '--json']);
    expect(code).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('✗ nano invoke needs a function name');
  });
});

describe("yargs' messages in nano's words", () => {
  it.each([
    [['dev', '-p', 'abc'], '✗ --port must be a number, got "abc"'],
    [['server', '--max-body-size=x'], '✗ --max-body-size must be a number, got "x"'],
    [['invoke'], '✗ nano invoke needs a function name: nano invoke <fn> [args]'],
    [['logs'], '✗ nano logs needs a function name: nano logs <fn>'],
    [['registry', 'copy', '--from', 'file:x'], '✗ nano registry copy needs --to'],
    [['registry', 'copy', '--fro', 'file:x', '--to', 'file:y'], '✗ nano registry copy has no flag --fro'],
    [['info', 'a', 'b'], '✗ nano info takes no argument "b": nano info [fn]'],
  ])('%j says %s and exits 2', async (argv, line) => {
    const { code, io } = await run(argv);
    expect(code).toBe(2);
    expect(io.err().split('\n')[0]).toBe(line);
    expect(io.err()).not.toMatch(/NaN|non-option|Unknown argument|Missing required/);
  });

  it.each([
    [['dev', '--prot', '3'], 'nano dev has no flag --prot', 'did you mean --port?'],
    [['server', '--max-body-sise', '3'], 'nano server has no flag --max-body-sise', 'did you mean --max-body-size?'],
    [['build', '--fast'], 'nano build has no flag --fast', '`nano build --help` lists its flags'],
    [['biuld'], 'unknown command "biuld"', 'did you mean `nano build`?'],
    [['invok', 'sum'], 'unknown command "invok"', 'did you mean `nano invoke`?'],
  ])('%j: an unknown command or flag is an error with a did-you-mean', async (argv, message, hint) => {
    const { code, io } = await run(argv);
    expect(code).toBe(2);
    expect(io.err()).toBe(`✗ ${message}\n  hint: ${hint}\n`);
  });

  it('suggests nothing far from every command', async () => {
    const { code, io } = await run(['foo']);
    expect(code).toBe(2);
    expect(io.err()).toBe('✗ unknown command "foo"\n  hint: `nano --help` lists the commands\n');
  });
});

describe('a progress line on a terminal', () => {
  it('is cleared before a failed build is reported', async () => {
    const cwd = await tempProject({
      'nano.yml': yml(
        'service: demo',
        'functions:',
        '  answer:',
        '    source: functions/answer.wat',
        '  bad:',
        '    source: functions/bad.wat',
      ),
      'functions/answer.wat': ANSWER_WAT,
      'functions/bad.wat': '(module (func $x (result i32) nope))',
    });
    const { code, io } = await run(['build'], { cwd, isTTY: true, env: { NO_COLOR: '1' } });
    expect(code).toBe(1);
    const err = io.err();
    const failed = err.indexOf('✗ build failed');
    expect(err).toContain('… building');
    expect(failed).toBeGreaterThan(0);
    // Whatever the progress line said last, it is erased (\r and erase-line) right before the error.
    expect(err.slice(0, failed).endsWith('\r\u001b[2K')).toBe(true);
  });
});
