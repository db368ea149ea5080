/**
 * `nano dev` hot reload, end to end: the real CLI on port 0, real file edits,
 * polling until the new version is served. The edits are written the way
 * editors save (in place); a fresh temp project per test.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { removeTempProjects, yml } from '../helpers/project.js';
import { answerWat } from '../helpers/wat.js';
import { devProject, get, PROJECT_YML, reloadLines, saveAtomically, servedAs, startDev, stderrMatches, until } from './dev-process.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

const BROKEN_ANSWER = '(module\n  (func (export "_start") (result i32)\n    i32.cnst 7\n    return))\n';

describe('nano dev hot reload (real process, port 0)', () => {
  it('serves an edited .wat after the rebuild, as the next version', async () => {
    const dir = await devProject();
    const { dev, url } = await startDev(dir);
    expect(dev.stdout()).toMatch(/watching 4 files \(debounce 100 ms\)/);
    expect((await get(`${url}/exec/answer`)).body).toBe('42');

    await writeFile(join(dir, 'functions/answer.wat'), answerWat(43));
    const answer = await servedAs(`${url}/exec/answer`, '43');
    expect(answer.version).toBe('2');
    await dev.waitFor(/↻ answer rebuilt in \d+ ms \(v2\)/);
    // Only what changed got a new version.
    expect((await get(`${url}/exec/sum?1,2`)).version).toBe('1');
    expect(await dev.stop()).toBe(0);
  });

  it('keeps serving the last good version on a syntax error, prints the located error, and recovers on the fix', async () => {
    const dir = await devProject();
    const { dev, url } = await startDev(dir);

    await writeFile(join(dir, 'functions/answer.wat'), BROKEN_ANSWER);
    // (A reload may also catch the file half-written, between truncate and write: wait for this error.)
    const stderr = await stderrMatches(
      dev,
      /✗ answer: \S*functions\/answer\.wat:3:5: error: unexpected token "?i32\.cnst"?.*\(still serving v1\)/,
    );
    expect(stderr).toContain('i32.cnst 7'); // the source line, with a caret under it
    expect(stderr).toMatch(/\^+/);
    expect(await get(`${url}/exec/answer`)).toMatchObject({ status: 200, body: '42', version: '1' });

    // Another function still reloads while this one is broken.
    await writeFile(join(dir, 'functions/sum.wat'), (await readFile(join(dir, 'functions/sum.wat'), 'utf8')).replace('i32.add', 'i32.sub'));
    expect((await servedAs(`${url}/exec/sum?5,2`, '3')).version).toBe('2');
    expect(await get(`${url}/exec/answer`)).toMatchObject({ body: '42', version: '1' });

    await writeFile(join(dir, 'functions/answer.wat'), answerWat(44));
    expect((await servedAs(`${url}/exec/answer`, '44')).version).toBe('2');
    await dev.waitFor(/↻ answer rebuilt in \d+ ms \(v2\)/);
    expect(await dev.stop()).toBe(0);
  });

  it('applies nano.yml live: a function added is served, a removed one answers 404', async () => {
    const dir = await devProject({
      'functions/mul.wat': '(module (func (export "_start") (param i32 i32) (result i32) local.get 0 local.get 1 i32.mul))\n',
    });
    const { dev, url } = await startDev(dir);
    expect((await get(`${url}/exec/mul?3,4`)).status).toBe(404);

    await writeFile(join(dir, 'nano.yml'), PROJECT_YML + yml('  mul:', '    source: functions/mul.wat'));
    expect(await servedAs(`${url}/exec/mul?3,4`, '12')).toMatchObject({ version: '1' });
    await dev.waitFor(/↻ mul added in \d+ ms \(v1\)/);

    await writeFile(join(dir, 'nano.yml'), PROJECT_YML);
    const gone = await servedAs(`${url}/exec/mul?3,4`, /FunctionNotFound/, 404);
    expect(gone.status).toBe(404);
    await dev.waitFor(/↻ mul removed \(was v1\)/);
    // The others were not touched.
    expect((await get(`${url}/exec/answer`)).version).toBe('1');
    expect(await dev.stop()).toBe(0);
  });

  it('applies a changed timeout and route to the next invocation; an invalid nano.yml keeps the last good one', async () => {
    const dir = await devProject();
    const { dev, url } = await startDev(dir);
    expect((await get(`${url}/exec/stuck`)).body).toContain('stuck exceeded its 200ms timeout');

    await writeFile(join(dir, 'nano.yml'), PROJECT_YML.replace('timeout: 200ms', 'timeout: 350ms').replace('path: /sum', 'path: /add'));
    // Error answers carry no x-nano-version; the reload line says which version this is.
    await servedAs(`${url}/exec/stuck`, /stuck exceeded its 350ms timeout/, 504);
    expect(await get(`${url}/add?2,3`)).toMatchObject({ status: 200, body: '5' });
    expect((await get(`${url}/sum?2,3`)).status).toBe(404);
    await dev.waitFor(/↻ stuck reloaded in \d+ ms \(v2: limits changed\)/);

    // A misspelt key: the located problem is printed, the last good configuration serves on.
    await writeFile(join(dir, 'nano.yml'), PROJECT_YML.replace('timeout: 200ms', 'timout: 50ms'));
    const stderr = await stderrMatches(dev, /still serving the last good configuration/);
    expect(stderr).toMatch(/✗ nano\.yml: \S*nano\.yml:10:5 functions\.stuck\.timout: unknown key "timout", did you mean "timeout"\?/);
    expect((await get(`${url}/exec/stuck`)).body).toContain('350ms');

    await writeFile(join(dir, 'nano.yml'), PROJECT_YML.replace('timeout: 200ms', 'timeout: 250ms'));
    await servedAs(`${url}/exec/stuck`, /exceeded its 250ms timeout/, 504);
    await dev.waitFor(/↻ stuck reloaded in \d+ ms \(v3: limits changed\)/);
    expect(await dev.stop()).toBe(0);
  });

  it('starts with a broken function (serving the others) and serves it once fixed; --no-watch refuses to start instead', async () => {
    const dir = await devProject({ 'functions/answer.wat': BROKEN_ANSWER });
    const strict = startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', '0', '--no-watch']);
    expect(await strict.exited).toBe(1);
    expect(strict.stderr()).toMatch(/answer\.wat:3:5: error/);

    const { dev, url } = await startDev(dir);
    expect(dev.stderr()).toMatch(/✗ answer: \S*answer\.wat:3:5: error: .*\(not served\)/);
    expect(dev.stdout()).toContain('demo (dev): 2 functions');
    expect((await get(`${url}/exec/sum?1,2`)).body).toBe('3');
    // Declared but not built: 503 naming the build error, not 404 (it exists, it does not build).
    const broken = await get(`${url}/exec/answer`);
    expect(broken.status).toBe(503);
    expect(broken.body).toMatch(/answer\.wat:3:5/);

    await writeFile(join(dir, 'functions/answer.wat'), answerWat(45));
    expect((await servedAs(`${url}/exec/answer`, '45')).version).toBe('1');
    await dev.waitFor(/↻ answer added in \d+ ms \(v1\)/);
    expect(await dev.stop()).toBe(0);
  });

  it('triggers no rebuild from writes into .nano/: neither its own build output nor anyone else’s', async () => {
    const dir = await devProject();
    const { dev, url } = await startDev(dir, ['--debounce', '30']);

    // Its own build writes .nano/build (a staging folder, two renames). The edits are saved as vim and sed -i
    // do (a new file renamed over the old): one event per save, so that every reload line can be counted.
    await saveAtomically(join(dir, 'functions/answer.wat'), answerWat(43));
    await servedAs(`${url}/exec/answer`, '43');
    // Another build of the same project, and stray files.
    const build = startCli(['build', '-c', join(dir, 'nano.yml')]);
    expect(await build.exited).toBe(0);
    await writeFile(join(dir, '.nano', 'scratch.txt'), 'not a source');
    await writeFile(join(dir, '.nano', 'build', 'answer.wasm'), 'garbage');
    // Proving an absence needs a quiet window: many debounce periods, long enough for a loop to show.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(reloadLines(dev)).toEqual([expect.stringMatching(/^↻ answer rebuilt in \d+ ms \(v2\)$/)]);

    // Still watching: the next real edit is one more reload.
    await saveAtomically(join(dir, 'functions/answer.wat'), answerWat(44));
    expect((await servedAs(`${url}/exec/answer`, '44')).version).toBe('3');
    await dev.waitFor(/\(v3\)/);
    expect(reloadLines(dev)).toHaveLength(2);
    expect(await dev.stop()).toBe(0);
  });

  it('under load (~200 requests in flight) while answer.wat is edited 5 times: no request fails, every answer is a served version', async () => {
    const dir = await devProject();
    const { dev, url } = await startDev(dir);
    const target = `${url}/exec/answer`;
    const values = [42, 1001, 1002, 1003, 1004, 1005];

    const seen = new Map<string, Set<string>>(); // version → bodies
    const failures: string[] = [];
    let completed = 0;
    let latest = '42';
    let stop = false;
    const MAX_REQUESTS = 200_000; // a bound in count as well as in time
    const client = async () => {
      while (!stop && completed < MAX_REQUESTS) {
        try {
          const response = await fetch(target);
          const body = await response.text();
          completed++;
          if (response.status !== 200) {
            failures.push(`${response.status} ${body}`);
            continue;
          }
          const version = response.headers.get('x-nano-version') ?? '?';
          if (!seen.has(version)) seen.set(version, new Set());
          seen.get(version)!.add(body);
          latest = body;
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 200 }, () => client());
    const guard = setTimeout(() => (stop = true), 90_000);
    try {
      await until(
        async () => completed,
        (count) => count >= 400,
        'the load to start',
      );
      for (const value of values.slice(1)) {
        await writeFile(join(dir, 'functions/answer.wat'), answerWat(value));
        await until(
          async () => latest,
          (body) => body === String(value),
          `the load to see ${value}`,
          30_000,
        );
        // A few hundred more answers on this version before the next edit.
        const after = completed;
        await until(
          async () => completed,
          (count) => count >= after + 300,
          'more answers',
        );
      }
    } finally {
      stop = true;
      clearTimeout(guard);
      await Promise.all(clients);
    }

    expect(failures).toEqual([]);
    expect(completed).toBeGreaterThan(1_500);
    // Each version answered exactly its own value: v1 → 42, v2 → 1001, ... v6 → 1005.
    expect(Object.fromEntries([...seen].map(([version, bodies]) => [version, [...bodies]]))).toEqual(
      Object.fromEntries(values.map((value, index) => [String(index + 1), [String(value)]])),
    );
    expect(await dev.stop()).toBe(0);
  }, 120_000);
});
