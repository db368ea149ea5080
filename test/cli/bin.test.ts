/**
 * The real thing: `node dist/bin.js` as a child process, as a user runs it.
 * Needs `npm run build` first (the `npm test` script does it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../dev/dev-process.js';
import { isAlive, killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { COLOUR } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT, SUM_WAT } from '../helpers/wat.js';

const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` before these tests (\`npm test\` does)`);
});

function nano(args: string[], cwd: string) {
  // Pipes, not a terminal: no colour and no progress line are expected.
  const { NO_COLOR: _unset, ...env } = process.env;
  return spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8' });
}

describe('the nano executable', () => {
  it('builds a project, exits 0, then finds it up to date', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  answer: { source: functions/answer.wat }', '  sum: { source: functions/sum.wat }'),
      'functions/answer.wat': ANSWER_WAT,
      'functions/sum.wat': SUM_WAT,
    });
    const cwd = await tempProject();

    const first = nano(['build', '-c', `${dir}/nano.yml`], cwd);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^2 functions → .*\.nano\/build \(2 built, 0 up to date\) in \d+ ms$/m);
    expect(first.stdout).not.toMatch(COLOUR);

    const second = nano(['build', '-c', `${dir}/nano.yml`], cwd);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/\(all 2 up to date\)/);
  });

  it('exits 1 on a misspelt key with nano.yml:LINE:COL, and 2 on bad usage', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functoins:', '  sum: { source: functions/sum.wat }'),
      'functions/sum.wat': SUM_WAT,
    });
    const invalid = nano(['build'], dir);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('  nano.yml:2:1 functoins: unknown key "functoins", did you mean "functions"?\n');
    expect(invalid.stdout).toBe('');

    const misused = nano(['build', '--no-such-flag'], dir);
    expect(misused.status).toBe(2);
  });

  it('on Ctrl-C during a build command, ends with the command and everything it started', async () => {
    const dir = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  gen:', '    source: out/gen.wasm', '    build: node hang.mjs; echo never'),
      'hang.mjs':
        "import { writeFileSync } from 'node:fs';\nwriteFileSync('hang.pid', String(process.pid));\nsetInterval(() => {}, 1000);\n",
    });
    const build = startCli(['build'], { cwd: dir });
    const pid = await until(
      () => readFile(join(dir, 'hang.pid'), 'utf8').then(Number),
      (value) => value > 0,
      'the command to start',
    );
    // What a terminal's Ctrl-C sends to nano's process group; the command, in a group of its own, gets it from nano.
    build.child.kill('SIGINT');
    expect(await build.exited).toBeNull(); // ended by the signal, as without the forwarding
    expect(build.child.signalCode).toBe('SIGINT');
    await until(
      async () => isAlive(pid),
      (alive) => !alive,
      'the command to end',
    );
  });
});
