/** The CLI frame, in-process: exit codes, help, --json, colour and the commands' output. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createOutput } from '../../src/cli/output.js';
import { reportError } from '../../src/cli/report-error.js';
import { NANO_VERSION } from '../../src/package-root.js';
import { readBuiltManifest } from '../helpers/build.js';
import { captureIo, COLOUR, type CaptureOptions, type CapturedIo } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

afterEach(removeTempProjects);

const GOOD_YAML = yml(
  'service: demo-${stage}',
  'functions:',
  '  answer:',
  '    source: functions/answer.wat',
  '  sum:',
  '    source: functions/sum.wat',
  '    http: { path: /sum }',
);

const goodProject = () => tempProject({ 'nano.yml': GOOD_YAML, 'functions/answer.wat': ANSWER_WAT, 'functions/sum.wat': SUM_WAT });

async function run(argv: string[], options: CaptureOptions): Promise<{ code: number; io: CapturedIo }> {
  const io = captureIo(options);
  const code = await main(argv, io);
  return { code, io };
}

describe('nano --help and --version', () => {
  it('lists the commands and exits 0', async () => {
    const { code, io } = await run(['--help'], { cwd: await tempProject() });
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^ {2}nano init \[dir\] +Create a new nano project from a template$/m);
    expect(io.out()).toMatch(/^ {2}nano build +Run build: commands, compile every function/m);
    expect(io.out()).toContain('--config');
    expect(io.err()).toBe('');
  });

  it('shows build --help with examples', async () => {
    const { code, io } = await run(['build', '--help'], { cwd: await tempProject() });
    expect(code).toBe(0);
    expect(io.out()).toContain('--function');
    expect(io.out()).toContain('Examples:');
    expect(io.out()).toMatch(/nano build -c examples\/nano\.yml -f sum +Build one function of another project/);
  });

  it('shows init --help with examples', async () => {
    const { code, io } = await run(['init', '--help'], { cwd: await tempProject() });
    expect(code).toBe(0);
    expect(io.out()).toContain('--template');
    expect(io.out()).toMatch(/Examples:\n {2}nano init hello/);
  });

  it('prints the version', async () => {
    const { code, io } = await run(['--version'], { cwd: await tempProject() });
    expect(code).toBe(0);
    expect(io.out()).toBe(`${NANO_VERSION}\n`);
  });
});

describe('bad usage exits 2', () => {
  it('for a misspelt command, with a suggestion', async () => {
    const { code, io } = await run(['biuld'], { cwd: await tempProject() });
    expect(code).toBe(2);
    expect(io.err()).toBe('✗ unknown command "biuld"\n  hint: did you mean `nano build`?\n');
    expect(io.out()).toBe('');
  });

  it('for an unknown command', async () => {
    const { code, io } = await run(['frobnicate'], { cwd: await tempProject() });
    expect(code).toBe(2);
    expect(io.err().split('\n')[0]).toBe('✗ unknown command "frobnicate"');
  });

  it('for an unknown flag', async () => {
    const { code, io } = await run(['build', '--fast'], { cwd: await tempProject() });
    expect(code).toBe(2);
    expect(io.err().split('\n')[0]).toBe('✗ nano build has no flag --fast');
  });

  it('for no command at all', async () => {
    const { code, io } = await run([], { cwd: await tempProject() });
    expect(code).toBe(2);
    expect(io.err()).toContain('Name a command.');
  });
});

describe('nano build', () => {
  it('builds, exits 0, and lists each function', async () => {
    const dir = await goodProject();
    const { code, io } = await run(['build'], { cwd: dir });
    expect(code).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {2}✓ {2}answer {2}built {2}\d+ B {2}\d+ ms$/);
    expect(lines[1]).toMatch(/^ {2}✓ {2}sum {5}built {2}\d+ B {2}\d+ ms$/);
    expect(lines[2]).toMatch(/^2 functions → \.nano\/build \(2 built, 0 up to date\) in \d+ ms$/);
    expect(io.err()).toBe('');
    expect((await readBuiltManifest(dir)).functions.map((fn) => fn.name)).toEqual(['answer', 'sum']);
  });

  it('says which build: commands it ran, for which functions, and reports them in --json', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  seven:', '    source: out/seven.wat', '    build: node gen.mjs'),
      'gen.mjs':
        "import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('out', { recursive: true });\nwriteFileSync('out/seven.wat', '(module (func (export \"_start\") (result i32) i32.const 7))');\n",
    });
    const { code, io } = await run(['build'], { cwd: dir });
    expect(code).toBe(0);
    expect(io.out().split('\n')[0]).toMatch(/^ran `node gen\.mjs` for seven in \d+(\.\d+)?m?s$/);
    const json = await run(['build', '--json'], { cwd: dir });
    expect(JSON.parse(json.io.out())).toMatchObject({ commands: [{ command: 'node gen.mjs', functions: ['seven'] }] });
  });

  it('says "up to date" the second time', async () => {
    const dir = await goodProject();
    expect((await run(['build'], { cwd: dir })).code).toBe(0);
    const { code, io } = await run(['build'], { cwd: dir });
    expect(code).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines.slice(0, 2).map((line) => line.trim().split(/ {2,}/).slice(0, 3))).toEqual([
      ['·', 'answer', 'up to date'],
      ['·', 'sum', 'up to date'],
    ]);
    expect(lines[2]).toMatch(/^2 functions → \.nano\/build \(all 2 up to date\) in \d+ ms$/);
  });

  it('takes -c and names the build folder relative to the working folder', async () => {
    const dir = await tempProject({ 'app/nano.yml': GOOD_YAML, 'app/functions/answer.wat': ANSWER_WAT, 'app/functions/sum.wat': SUM_WAT });
    const { code, io } = await run(['build', '-c', 'app/nano.yml', '-f', 'sum'], { cwd: dir });
    expect(code).toBe(0);
    expect(io.out()).toMatch(/^1 function → app\/\.nano\/build \(1 built, 0 up to date\) in \d+ ms$/m);
    expect((await readBuiltManifest(join(dir, 'app'))).functions.map((fn) => fn.name)).toEqual(['sum']);
  });

  it('passes --stage to ${stage} and the manifest', async () => {
    const dir = await goodProject();
    expect((await run(['build', '--stage', 'prod'], { cwd: dir })).code).toBe(0);
    const manifest = await readBuiltManifest(dir);
    expect(manifest.stage).toBe('prod');
    expect(manifest.service).toBe('demo-prod');
  });

  it('exits 1 on a misspelt key, printing where it is', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    timout: 5s'),
      'functions/sum.wat': SUM_WAT,
    });
    const { code, io } = await run(['build'], { cwd: dir });
    expect(code).toBe(1);
    expect(io.err()).toBe(
      [
        '✗ nano.yml is invalid (1 problem):',
        '  nano.yml:5:5 functions.sum.timout: unknown key "timout", did you mean "timeout"?',
        '  hint: fix the file and run the command again',
        '',
      ].join('\n'),
    );
    expect(io.out()).toBe('');
  });

  it('exits 1 on a build error, listing it', async () => {
    const dir = await tempProject({
      'nano.yml': GOOD_YAML,
      'functions/answer.wat': ANSWER_WAT,
      'functions/sum.wat': '(module (import "env" "f" (func)))',
    });
    const { code, io } = await run(['build'], { cwd: dir });
    expect(code).toBe(1);
    expect(io.err()).toContain('✗ build failed with 2 errors; .nano/build was left as it was:\n');
    expect(io.err()).toContain('  functions/sum.wat: function "sum" imports "env.f", which the platform does not provide;');
  });

  it('exits 1 for an unknown -f function', async () => {
    const dir = await goodProject();
    const { code, io } = await run(['build', '-f', 'nope'], { cwd: dir });
    expect(code).toBe(1);
    expect(io.err()).toBe('✗ no function named "nope" in nano.yml\n  hint: functions: answer, sum\n');
  });

  it('exits 1 without a nano.yml, suggesting nano init', async () => {
    const { code, io } = await run(['build'], { cwd: await tempProject() });
    expect(code).toBe(1);
    expect(io.err()).toContain('✗ cannot read nano.yml: no such file\n');
    expect(io.err()).toContain('nano init');
  });
});

describe('--json', () => {
  it('prints one JSON document for a build', async () => {
    const dir = await goodProject();
    const { code, io } = await run(['build', '--json'], { cwd: dir });
    expect(code).toBe(0);
    expect(io.err()).toBe('');
    const manifest = await readBuiltManifest(dir);
    expect(JSON.parse(io.out())).toEqual({
      buildDir: join(dir, '.nano', 'build'),
      commands: [],
      functions: manifest.functions.map((fn) => ({ name: fn.name, status: 'built', sha256: fn.sha256, size: fn.size })),
    });
  });

  it('prints an invalid config as { error: { code, message, problems } }', async () => {
    const dir = await tempProject({ 'nano.yml': yml('service: demo', 'functions: {}') });
    const { code, io } = await run(['build', '--json'], { cwd: dir });
    expect(code).toBe(1);
    expect(io.err()).toBe('');
    const { error } = JSON.parse(io.out()) as { error: { code: string; message: string; hint: string; problems: unknown[] } };
    expect(error.code).toBe('ConfigInvalid');
    expect(error.message).toContain('nano.yml:2:12 functions: expected at least one function, got an empty mapping');
    expect(error.hint).toBe('fix the file and run the command again');
    expect(error.problems).toEqual([
      { file: 'nano.yml', line: 2, column: 12, path: 'functions', message: 'expected at least one function, got an empty mapping' },
    ]);
  });

  it('prints a build failure and a missing config as JSON too', async () => {
    const broken = await tempProject({ 'nano.yml': GOOD_YAML, 'functions/answer.wat': ANSWER_WAT, 'functions/sum.wat': 'nope' });
    const failed = await run(['build', '--json'], { cwd: broken });
    expect(failed.code).toBe(1);
    expect((JSON.parse(failed.io.out()) as { error: { code: string } }).error.code).toBe('BuildFailed');

    const missing = await run(['build', '--json'], { cwd: await tempProject() });
    expect(missing.code).toBe(1);
    expect((JSON.parse(missing.io.out()) as { error: { code: string } }).error.code).toBe('ConfigNotFound');
  });
});

describe('colour', () => {
  const scenarios = async (options: Omit<CaptureOptions, 'cwd'>) => {
    const dir = await goodProject();
    const built = await run(['build'], { ...options, cwd: dir });
    const failed = await run(['build', '-f', 'nope'], { ...options, cwd: dir });
    const misused = await run(['biuld'], { ...options, cwd: dir });
    return [built, failed, misused].map(({ io }) => io.out() + io.err()).join('');
  };

  it('is off when the output is not a terminal', async () => {
    expect(await scenarios({ isTTY: false })).not.toMatch(COLOUR);
  });

  it('is off on a terminal under NO_COLOR', async () => {
    expect(await scenarios({ isTTY: true, env: { NO_COLOR: '1' } })).not.toMatch(COLOUR);
  });

  it('is on on a terminal without NO_COLOR', async () => {
    expect(await scenarios({ isTTY: true, env: {} })).toMatch(COLOUR);
  });
});

describe('nano init', () => {
  it('creates a project that builds, and prints the next commands', async () => {
    const cwd = await tempProject();
    const init = await run(['init', 'hello'], { cwd });
    expect(init.code).toBe(0);
    expect(init.io.out()).toBe(
      [
        '✓ created hello in hello from the "wat" template:',
        '    .gitignore',
        '    .nano/nano.schema.json',
        '    functions/add.wat',
        '    nano.yml',
        '',
        'Next:',
        '  cd hello',
        '  nano build',
        '  nano dev',
        '',
      ].join('\n'),
    );
    expect((await run(['build', '-c', 'hello/nano.yml'], { cwd })).code).toBe(0);
  });

  it('exits 1 in a folder that is not empty', async () => {
    const cwd = await tempProject({ 'nano.yml': 'service: mine\n' });
    const { code, io } = await run(['init'], { cwd });
    expect(code).toBe(1);
    expect(io.err()).toContain(`✗ ${cwd} is not empty (it has nano.yml); nano init never overwrites files\n`);
    expect(await readFile(join(cwd, 'nano.yml'), 'utf8')).toBe('service: mine\n');
  });

  it('exits 1 for an unknown template', async () => {
    const { code, io } = await run(['init', 'x', '--template', 'cobol'], { cwd: await tempProject() });
    expect(code).toBe(1);
    expect(io.err()).toContain('✗ there is no template "cobol"\n');
  });
});

describe('the top-level error handler', () => {
  it('calls anything that is not a NanoError a bug, with its stack', () => {
    const io = captureIo({ cwd: process.cwd() });
    const code = reportError(new TypeError('boom'), createOutput(io, { json: false }));
    expect(code).toBe(1);
    expect(io.err()).toMatch(
      /^✗ nano crashed\. This is a bug in nano, not in your project; please report it with this output:\nTypeError: boom\n {4}at /,
    );
  });
});
