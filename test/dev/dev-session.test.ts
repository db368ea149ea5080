/** The dev session in-process, with the real watcher: what a change of which file does. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevSession, type DevSession, type ReloadReport } from '../../src/dev/index.js';
import { removeTempProjects, tempProject, writeFiles, yml } from '../helpers/project.js';
import { answerWat, SUM_WAT } from '../helpers/wat.js';
import { isAlive } from '../helpers/cli-process.js';
import { saveAtomically, until } from './dev-process.js';

let session: DevSession | undefined;

afterEach(async () => {
  await session?.close();
  session = undefined;
  await removeTempProjects();
});

async function start(files: Record<string, string>, debounceMs = 30) {
  const dir = await tempProject(files);
  const reports: ReloadReport[] = [];
  const problems: unknown[] = [];
  session = await startDevSession({
    configPath: 'nano.yml',
    stage: 'dev',
    env: {},
    cwd: dir,
    port: 0,
    host: '127.0.0.1',
    executor: { poolSize: 1 },
    debounceMs,
    onReload: (report) => reports.push(report),
    onWatchError: (error) => problems.push(error),
    onInternalError: (error) => problems.push(error),
  });
  const reportsAfter = (count: number) =>
    until(
      async () => reports.length,
      (length) => length > count,
      `reload #${count + 1}`,
    ).then(() => reports);
  return { dir, session, reports, problems, reportsAfter };
}

const answer = async (s: DevSession, name = 'answer') => (await s.server.executor.invoke(name)).value;

/**
 * A `build:` command: `node gen.mjs [folder]` turns <folder>/value.txt into <folder>/out/gen.wat (and a
 * gen.txt beside it, always the same); runs.log counts its runs. `fail` fails it, `hang` makes it hang.
 */
const GENERATOR = [
  "import { appendFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';",
  "const folder = process.argv[2] ?? '.';",
  "const value = readFileSync(folder + '/value.txt', 'utf8').trim();",
  "appendFileSync('runs.log', 'run\\n');",
  "if (value === 'fail') { console.error('bad value'); process.exit(1); }",
  "if (value === 'hang') { writeFileSync('hang.pid', String(process.pid)); setInterval(() => {}, 1000); }",
  'else {',
  "  mkdirSync(folder + '/out', { recursive: true });",
  "  writeFileSync(folder + '/out/gen.wat', '(module (func (export \"_start\") (result i32) i32.const ' + value + '))');",
  "  writeFileSync(folder + '/out/gen.txt', 'generated');",
  '}',
].join('\n');

const runsIn = async (dir: string) => (await readFile(join(dir, 'runs.log'), 'utf8')).split('\n').filter(Boolean).length;

describe('startDevSession (in-process, real watcher)', () => {
  it('reloads on a change matching a function’s watch: glob, and ignores node_modules/ and unrelated files', async () => {
    const { dir, reports, reportsAfter, problems } = await start({
      'nano.yml': yml('service: demo', 'functions:', '  answer:', '    source: answer.wat', '    watch: include/**/*.txt'),
      'answer.wat': answerWat(1),
      'include/notes.txt': 'v1',
      'include/node_modules/.keep': '',
    });
    await writeFiles(dir, { 'include/notes.txt': 'v2' });
    await reportsAfter(0);
    expect(reports[0]?.trigger).toEqual(['include/notes.txt']);
    expect(reports.flatMap((report) => report.changes)).toEqual([]); // the artifact did not change: same version

    await writeFiles(dir, { 'include/node_modules/dep.txt': 'x', 'include/notes.md': 'x', 'elsewhere.txt': 'x', '.nano/junk.txt': 'x' });
    await writeFiles(dir, { 'answer.wat': answerWat(2) }); // a sentinel: its reload comes after any the files above caused
    await until(
      async () => reports.at(-1)?.changes.length ?? 0,
      (count) => count > 0,
      'the sentinel reload',
    );
    // (A save may be seen twice, truncated then written; what matters is which files ever triggered.)
    expect(new Set(reports.flatMap((report) => report.trigger))).toEqual(new Set(['include/notes.txt', 'answer.wat']));
    expect(problems).toEqual([]);
  });

  it('coalesces a burst of saves into one reload', async () => {
    const { dir, session, reports, reportsAfter } = await start(
      {
        'nano.yml': yml('service: demo', 'functions:', '  answer: { source: answer.wat }', '  sum: { source: sum.wat }'),
        'answer.wat': answerWat(1),
        'sum.wat': SUM_WAT,
      },
      300,
    );
    for (let value = 2; value <= 11; value++) await writeFiles(dir, { 'answer.wat': answerWat(value) });
    await reportsAfter(0);
    expect(await answer(session)).toBe('11');
    await writeFiles(dir, { 'sum.wat': SUM_WAT.replace('i32.add', 'i32.sub') }); // a sentinel
    await until(async () => reports.some((report) => report.trigger.includes('sum.wat')), Boolean, 'the sentinel reload');
    const versions = reports.flatMap((report) => report.changes.map((fn) => `${fn.name} v${fn.version}`));
    expect(versions).toEqual(['answer v2', 'sum v2']);
  });

  it('reruns a build: command when its watch: inputs change, never because of its own output, and keeps the last good version when it fails', async () => {
    const { dir, session, reports } = await start({
      'nano.yml': yml(
        'service: demo',
        'functions:',
        '  gen:',
        '    source: out/gen.wat',
        '    build: node gen.mjs',
        '    watch: value.txt',
        '  answer: { source: answer.wat }',
      ),
      'gen.mjs': GENERATOR,
      'value.txt': '1',
      'answer.wat': answerWat(1),
    });
    expect(await answer(session, 'gen')).toBe('1');

    await saveAtomically(join(dir, 'value.txt'), '2'); // whole, so that no reload reads it half-written
    await until(
      () => answer(session, 'gen'),
      (value) => value === '2',
      'the regenerated function',
    );
    await saveAtomically(join(dir, 'value.txt'), 'fail');
    await until(
      async () => reports.some((report) => report.failures.some((failure) => failure.name === 'gen')),
      Boolean,
      'the failed command to be reported',
    );
    expect(reports.flatMap((report) => report.failures)).toContainEqual(
      expect.objectContaining({
        name: 'gen',
        serving: 2,
        problems: [expect.objectContaining({ path: 'functions.gen.build', detail: '    bad value' })],
      }),
    );
    expect(await answer(session, 'gen')).toBe('2');

    await writeFiles(dir, { 'answer.wat': answerWat(5) }); // a sentinel: reloads caused by out/gen.wat would come before it
    await until(
      () => answer(session),
      (value) => value === '5',
      'the sentinel reload',
    );
    await session.idle();
    expect(new Set(reports.flatMap((report) => report.trigger))).toEqual(new Set(['value.txt', 'answer.wat']));
    // The failed command ran again with the sentinel's reload (what lies in out/ is no build of it): still v2.
    expect(await answer(session, 'gen')).toBe('2');
    expect(reports.at(-1)?.failures).toEqual([expect.objectContaining({ name: 'gen', serving: 2 })]);
    // Once for the first build, once per reload of value.txt, and once for the sentinel's, after the failure.
    const valueReloads = reports.filter((report) => report.trigger.includes('value.txt')).length;
    expect(valueReloads).toBeGreaterThanOrEqual(2);
    expect(await runsIn(dir)).toBe(1 + valueReloads + 1);
  });

  it('settles when a watch: glob covers what the command writes, and reruns it for a new command, not for other nano.yml edits', async () => {
    const yaml = (command: string, timeout: string) =>
      yml(
        'service: demo',
        'functions:',
        '  gen:',
        '    source: src/out/gen.wat',
        `    build: ${command}`,
        '    watch: src/**', // covers the outputs: src/out/gen.wat (the source) and src/out/gen.txt
        '  answer:',
        '    source: answer.wat',
        `    timeout: ${timeout}`,
      );
    const { dir, session, reports } = await start({
      'nano.yml': yaml('node gen.mjs src', '1s'),
      'gen.mjs': GENERATOR,
      'src/value.txt': '1',
      'answer.wat': answerWat(1),
    });
    let sentinel = 1;
    /** An edit of answer.wat, served: the reloads of events before it have run. */
    const settle = async () => {
      sentinel++;
      await writeFiles(dir, { 'answer.wat': answerWat(sentinel) });
      await until(
        () => answer(session),
        (value) => value === String(sentinel),
        'the sentinel reload',
      );
      await session.idle();
      return runsIn(dir);
    };
    // gen.txt is rewritten by every run: its event reruns the command once, and then its bytes are the same.
    // (A read that catches the file half-written can cost one more run; a loop never ends.)
    let settled = await settle();
    for (let round = 0; round < 10; round++) {
      const next = await settle();
      if (next === settled) break;
      settled = next;
    }
    expect(await settle()).toBe(settled);
    expect(settled).toBeLessThanOrEqual(4);
    expect(reports.flatMap((report) => report.trigger)).not.toContain('src/out/gen.wat');

    await writeFiles(dir, { 'nano.yml': yaml('node gen.mjs src', '2s') });
    await until(
      async () => reports.some((report) => report.changes.some((change) => change.changed?.includes('limits'))),
      Boolean,
      'the new timeout',
    );
    await session.idle();
    expect(await runsIn(dir)).toBe(settled);

    await writeFiles(dir, { 'nano.yml': yaml('node gen.mjs src --again', '2s') });
    await until(
      () => runsIn(dir),
      (runs) => runs === settled + 1,
      'the new command to run',
    );
  });

  it('stops a build command that hangs when the session closes', async () => {
    const { dir, session } = await start({
      'nano.yml': yml(
        'service: demo',
        'functions:',
        '  gen:',
        '    source: out/gen.wat',
        '    build: node gen.mjs',
        '    watch: value.txt',
      ),
      'gen.mjs': GENERATOR,
      'value.txt': '1',
    });
    await saveAtomically(join(dir, 'value.txt'), 'hang');
    const pid = await until(
      () => readFile(join(dir, 'hang.pid'), 'utf8').then(Number),
      (value) => value > 0,
      'the command to hang',
    );
    await session.close(); // does not wait for the compiler: the test's timeout would end it otherwise
    await until(
      async () => isAlive(pid),
      (alive) => !alive,
      'the hung command to be stopped',
    );
  });

  it('serves a save made right after another one (chokidar drops a second change within 50 ms)', async () => {
    const { dir, session, reports } = await start(
      { 'nano.yml': yml('service: demo', 'functions:', '  answer: { source: answer.wat }'), 'answer.wat': answerWat(1) },
      0,
    );
    await writeFiles(dir, { 'answer.wat': answerWat(2) });
    // The point is the gap: shorter than chokidar's throttle, longer than the reload the first save starts.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeFiles(dir, { 'answer.wat': answerWat(3) });
    await until(
      () => answer(session),
      (value) => value === '3',
      'the second save to be served',
    );
    await session.idle();
    expect(reports.every((report) => report.error === undefined)).toBe(true);
  });

  it('watches the folders a new nano.yml names, and stops watching a removed function’s source', async () => {
    const { dir, session, reports } = await start({
      'nano.yml': yml('service: demo', 'functions:', '  answer: { source: answer.wat }'),
      'answer.wat': answerWat(1),
      'more/extra.wat': answerWat(7),
    });
    await writeFiles(dir, { 'nano.yml': yml('service: demo', 'functions:', '  extra: { source: more/extra.wat }') });
    await until(
      async () => session.served().map((fn) => fn.artifact.name),
      (names) => names.join() === 'extra',
      'extra to replace answer',
    );
    await session.idle(); // the reload ends once the new folders are watched
    expect(session.watching?.files).toEqual([join(dir, 'more/extra.wat'), join(dir, 'nano.yml')]);

    await writeFiles(dir, { 'answer.wat': answerWat(2), 'more/extra.wat': answerWat(8) });
    await until(
      () => answer(session, 'extra'),
      (value) => value === '8',
      'the edit in the new folder',
    );
    expect(reports.flatMap((report) => report.trigger)).not.toContain('answer.wat');
  });
});
