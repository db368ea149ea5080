/**
 * File-system states a user can create (a file where a folder should be, a
 * folder where a file should be, a path too long, a link loop) end the command
 * with exit 1 and a message naming the path and what to do: never "nano
 * crashed" with a stack trace.
 */
import { mkdirSync, rmdirSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { captureIo } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

async function run(argv: string[], cwd: string): Promise<{ code: number; err: string }> {
  const io = captureIo({ cwd });
  const code = await main(argv, io);
  return { code, err: io.err() };
}

/** A clean refusal: exit 1, no crash report, no stack frame. */
function expectRefusal({ code, err }: { code: number; err: string }, lines: string[]): void {
  expect(err).not.toMatch(/nano crashed|\n\s+at /);
  expect(code).toBe(1);
  expect(err.trimEnd().split('\n')).toEqual(lines);
}

const project = () =>
  tempProject({
    'nano.yml': yml('service: demo', 'functions:', '  answer: { source: functions/answer.wat }'),
    'functions/answer.wat': ANSWER_WAT,
  });

describe('nano init', () => {
  it('under a file (ENOTDIR) names the file', async () => {
    const dir = await tempProject({ notes: 'a file' });
    expectRefusal(await run(['init', 'notes/hello'], dir), [
      `✗ cannot create the project folder ${join(dir, 'notes', 'hello')}: ${join(dir, 'notes')} is a file, not a folder (ENOTDIR)`,
      '  hint: move or rename that file, or choose another path',
    ]);
  });

  it('with a name longer than the file system allows (ENAMETOOLONG)', async () => {
    const dir = await tempProject();
    const name = 'x'.repeat(300);
    expectRefusal(await run(['init', name], dir), [
      `✗ cannot create the project folder ${join(dir, name)}: the path is too long (ENAMETOOLONG)`,
      '  hint: choose a shorter path',
    ]);
  });

  it('through a loop of symbolic links (ELOOP)', async () => {
    const dir = await tempProject();
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    expectRefusal(await run(['init', 'loop/hello'], dir), [
      `✗ cannot create the project folder ${join(dir, 'loop', 'hello')}: it goes round a loop of symbolic links (ELOOP)`,
      '  hint: fix the symbolic links in the path',
    ]);
  });

  // Root may write anywhere, so a read-only folder cannot be made in a test that runs as root; /sys can be
  // (EPERM for root, EACCES or EROFS for others), where it exists and refuses.
  const sysRefuses = (() => {
    try {
      mkdirSync('/sys/nano-probe');
      rmdirSync('/sys/nano-probe');
      return false;
    } catch (error) {
      return ['EPERM', 'EACCES', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '');
    }
  })();
  it.skipIf(!sysRefuses)('in a folder it may not write to (EPERM / EACCES / EROFS)', async () => {
    const { code, err } = await run(['init', '/sys/nano-hello'], await tempProject());
    expect(err).not.toMatch(/nano crashed|\n\s+at /);
    expect(code).toBe(1);
    expect(err).toMatch(/^✗ cannot create the project folder \/sys\/nano-hello: .* \((EPERM|EACCES|EROFS)\)\n {2}hint: /);
  });
});

describe('nano build', () => {
  it('when .nano is a file (EEXIST) names it', async () => {
    const dir = await project();
    await writeFile(join(dir, '.nano'), 'not a folder');
    expectRefusal(await run(['build'], dir), [
      `✗ cannot create the folder ${join(dir, '.nano')}: ${join(dir, '.nano')} already exists and is not a folder (EEXIST)`,
      '  hint: remove or rename it, or choose another path',
    ]);
  });
});

describe('nano server', () => {
  it('with --data naming a file fails to start (ENOTDIR), exit 1', async () => {
    const dir = await tempProject({ data: 'a file' });
    const server = startCli(['server', '--port', '0', '--data', 'data'], { cwd: dir });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).not.toMatch(/nano crashed|\n\s+at /);
    expect(server.stderr().trimEnd().split('\n')).toEqual([
      `✗ cannot open the data folder ${join(dir, 'data')}: ${join(dir, 'data')} is a file, not a folder (ENOTDIR)`,
      '  hint: move or rename that file, or choose another path',
    ]);
    expect(server.stdout()).not.toMatch(/listening|http:\/\//i);
  });

  it('with a state.json that is a folder (EISDIR) fails to start, naming it', async () => {
    const dir = await tempProject();
    mkdirSync(join(dir, 'data', 'state.json'), { recursive: true });
    expectRefusal(await run(['server', '--port', '0', '--data', 'data'], dir), [
      `✗ cannot read ${join(dir, 'data', 'state.json')}: ${join(dir, 'data', 'state.json')} is a folder, not a file (EISDIR)`,
      '  hint: remove or rename the folder, or choose another path',
    ]);
  });
});
