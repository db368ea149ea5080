/**
 * A function's `build:` command: run before its source is read, once per
 * distinct command, with node_modules/.bin on PATH; a failing command fails
 * the build with its output and leaves .nano/build/ as it was. The commands
 * here are small node scripts that write a .wat, so no compiler is needed.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProject } from '../../src/build/index.js';
import { resolveConfig, type ResolvedConfig } from '../../src/config/index.js';
import { ProblemsError } from '../../src/errors.js';
import { removeTempProjects, snapshotTree, tempProject, yml } from '../helpers/project.js';
import { until } from '../dev/dev-process.js';
import { isAlive } from '../helpers/cli-process.js';

afterEach(removeTempProjects);

/** Writes out/<name>.wat returning the number in value.txt, and notes each run in runs.log. */
const GENERATOR = `
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
const value = readFileSync('value.txt', 'utf8').trim();
appendFileSync('runs.log', 'run\\n');
mkdirSync('out', { recursive: true });
for (const name of process.argv.slice(2)) {
  writeFileSync('out/' + name + '.wat', '(module (func (export "_start") (result i32) i32.const ' + value + '))');
}
`;

/** Functions a and b, their sources written by one shared command. */
const sharing = (command: string) => [
  '  a:',
  '    source: out/a.wat',
  `    build: ${command}`,
  '  b:',
  '    source: out/b.wat',
  `    build: ${command}`,
];

async function project(functionsYml: string[], files: Record<string, string> = {}) {
  const dir = await tempProject({
    'nano.yml': yml('service: demo', 'functions:', ...functionsYml),
    'gen.mjs': GENERATOR,
    'value.txt': '7',
    ...files,
  });
  const config = await resolveConfig('nano.yml', { cwd: dir, env: {} });
  return { dir, config, runs: async () => (await readFile(join(dir, 'runs.log'), 'utf8')).split('\n').filter(Boolean).length };
}

const buildError = async (promise: Promise<unknown>): Promise<ProblemsError> => {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemsError);
  return error as ProblemsError;
};

/** A build whose command writes hang.pid and never ends, aborted once the command runs. */
async function abortedBuild(dir: string, config: ResolvedConfig): Promise<{ pid: number; error: ProblemsError }> {
  const controller = new AbortController();
  const building = buildProject(config, { cwd: dir, signal: controller.signal });
  const pid = await until(
    () => readFile(join(dir, 'hang.pid'), 'utf8').then(Number),
    (value) => value > 0,
    'the command to start',
  );
  controller.abort();
  return { pid, error: await buildError(building) };
}

const gone = (pid: number) =>
  until(
    async () => isAlive(pid),
    (alive) => !alive,
    `process ${pid} to end`,
  );

describe('build: commands', () => {
  it('runs the command before reading the source, which need not exist when nano.yml is read', async () => {
    const { dir, config, runs } = await project(['  seven:', '    source: out/seven.wat', '    build: node gen.mjs seven']);
    const result = await buildProject(config, { cwd: dir });
    expect(result.reports).toMatchObject([{ name: 'seven', status: 'built' }]);
    expect(result.commands).toMatchObject([{ command: 'node gen.mjs seven', functions: ['seven'] }]);
    expect(result.manifest.functions[0]?.source).toBe('out/seven.wat');
    expect(await runs()).toBe(1);

    // The command runs on every build; an unchanged output keeps the artifact "up to date".
    const again = await buildProject(config, { cwd: dir });
    expect(again.reports).toMatchObject([{ name: 'seven', status: 'up to date' }]);
    expect(await runs()).toBe(2);
  });

  it('runs a command shared by several functions once, and only for the functions asked for', async () => {
    const command = 'node gen.mjs a b';
    const { dir, config, runs } = await project(sharing(command));
    const result = await buildProject(config, { cwd: dir });
    expect(result.commands).toMatchObject([{ command, functions: ['a', 'b'] }]);
    expect(await runs()).toBe(1);

    await buildProject(config, { cwd: dir, runCommandsOf: [] });
    expect(await runs()).toBe(1);
  });

  it('builds every function sharing a command that ran, and fails them all with it, even when asked for one', async () => {
    const command = 'node gen.mjs a b';
    const { dir, config } = await project(sharing(command));
    const result = await buildProject(config, { cwd: dir, only: ['a'] });
    // b's source was rewritten by the command: it is built from it, not dropped from the manifest as stale.
    expect(result.manifest.functions.map((fn) => fn.name)).toEqual(['a', 'b']);
    expect(result.reports.map((report) => report.name)).toEqual(['a', 'b']);

    // A failed run leaves nothing to build either function from, whichever one the command ran for.
    await writeFile(
      join(dir, 'gen.mjs'),
      "import { writeFileSync } from 'node:fs';\nwriteFileSync('out/b.wat', '(module)');\nprocess.exit(1);\n",
    );
    const error = await buildError(buildProject(config, { cwd: dir, runCommandsOf: ['a'] }));
    expect(error.problems.map((problem) => problem.path)).toEqual(['functions.a.build', 'functions.b.build']);
  });

  it('quotes the last 30 lines of a long output, and says when earlier output was dropped', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: node noisy.mjs'], {
      'noisy.mjs': "for (let i = 1; i <= 100; i++) console.log('line ' + i);\nprocess.exit(2);\n",
    });
    const detail = (await buildError(buildProject(config, { cwd: dir }))).problems[0]?.detail?.split('\n');
    expect(detail).toHaveLength(31);
    expect(detail?.[0]).toBe('    … (70 earlier lines)');
    expect(detail?.[1]).toBe('    line 71');
    expect(detail?.at(-1)).toBe('    line 100');

    await writeFile(join(dir, 'noisy.mjs'), "process.stdout.write('x'.repeat(100_000) + '\\nlast words\\n');\nprocess.exit(2);\n");
    const cut = (await buildError(buildProject(config, { cwd: dir }))).problems[0]?.detail?.split('\n');
    expect(cut?.[0]).toBe('    … (earlier output dropped)');
    expect(cut?.at(-1)).toBe('    last words');
  });

  it('says so when the command is not found', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: no-such-compiler-here --fast']);
    const problem = (await buildError(buildProject(config, { cwd: dir }))).problems[0];
    expect(problem?.message).toBe('the build command `no-such-compiler-here --fast` exited with code 127; its output ended with:');
    expect(problem?.detail).toContain('no-such-compiler-here');
  });

  it('stops a running command and what it started when the build is aborted', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: node hang.mjs && echo never'], {
      'hang.mjs':
        "import { writeFileSync } from 'node:fs';\nwriteFileSync('hang.pid', String(process.pid));\nsetInterval(() => {}, 1000);\n",
    });
    const { pid, error } = await abortedBuild(dir, config);
    expect(error.problems[0]?.message).toBe(
      'the build command `node hang.mjs && echo never` was stopped: the build was aborted and printed nothing',
    );
    await gone(pid);
  });

  it('kills what ignores the SIGTERM of an aborted build', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: node stubborn.mjs; echo after'], {
      'stubborn.mjs':
        "import { writeFileSync } from 'node:fs';\nprocess.on('SIGTERM', () => {});\nwriteFileSync('hang.pid', String(process.pid));\nsetInterval(() => {}, 1000);\n",
    });
    const { pid } = await abortedBuild(dir, config);
    await gone(pid);
  });

  it('stops waiting for another process’s commands when the build is aborted', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: node gen.mjs seven']);
    // Held by a live process (this one), as by a `nano deploy` compiling in another terminal.
    await mkdir(join(dir, '.nano', 'commands.lock'), { recursive: true });
    await writeFile(join(dir, '.nano', 'commands.lock', 'pid'), String(process.pid));
    const controller = new AbortController();
    const building = buildProject(config, { cwd: dir, signal: controller.signal });
    controller.abort();
    await expect(building).rejects.toThrow(/the build was stopped while waiting for .*commands\.lock/);
  });

  it('does not wait for a background process the command left holding its output', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: node linger.mjs & node gen.mjs seven'], {
      'linger.mjs':
        "import { writeFileSync } from 'node:fs';\nwriteFileSync('linger.pid', String(process.pid));\nsetTimeout(() => {}, 60_000);\n",
    });
    try {
      const result = await buildProject(config, { cwd: dir });
      expect(result.reports).toMatchObject([{ name: 'seven', status: 'built' }]);
    } finally {
      const pid = Number(await readFile(join(dir, 'linger.pid'), 'utf8').catch(() => '0'));
      if (pid > 0 && isAlive(pid)) process.kill(pid);
    }
  });

  it('finds a compiler installed in the project’s node_modules/.bin by name', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: fake-compiler seven'], {
      'node_modules/.bin/fake-compiler': '#!/bin/sh\nexec node gen.mjs "$@"\n',
    });
    await chmod(join(dir, 'node_modules/.bin/fake-compiler'), 0o755);
    const result = await buildProject(config, { cwd: dir });
    expect(result.reports).toMatchObject([{ name: 'seven', status: 'built' }]);
  });

  it('fails the build on a failing command with its exit code and last lines, naming the key in nano.yml, and keeps .nano/build', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/seven.wat', '    build: node gen.mjs seven']);
    await buildProject(config, { cwd: dir });
    const before = await snapshotTree(join(dir, '.nano'));

    await writeFile(
      join(dir, 'gen.mjs'),
      'console.log("compiling");\nconsole.error("error TS2304: Cannot find name x");\nprocess.exit(3);\n',
    );
    const error = await buildError(buildProject(config, { cwd: dir }));
    expect(error.code).toBe('BuildFailed');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({
      file: 'nano.yml',
      line: 5,
      column: 12,
      path: 'functions.seven.build',
      function: 'seven',
      message: 'the build command `node gen.mjs seven` exited with code 3; its output ended with:',
    });
    expect(error.problems[0]?.detail).toBe('    compiling\n    error TS2304: Cannot find name x');
    expect(await snapshotTree(join(dir, '.nano'))).toEqual(before);
  });

  it('says so when the command succeeds but does not write the source', async () => {
    const { dir, config } = await project(['  seven:', '    source: out/elsewhere.wat', '    build: node gen.mjs seven']);
    const error = await buildError(buildProject(config, { cwd: dir }));
    expect(error.problems[0]?.message).toBe(
      'cannot read the source of function "seven": ENOENT (its build command `node gen.mjs seven` should write it; check the path it writes to)',
    );
  });

  it('still requires an existing source from a function without a command', async () => {
    const dir = await tempProject({ 'nano.yml': yml('service: demo', 'functions:', '  seven:', '    source: out/seven.wat') });
    await expect(resolveConfig('nano.yml', { cwd: dir, env: {} })).rejects.toThrow(/source file "out\/seven\.wat" does not exist/);
  });
});
