import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { removeTempProjects, examplesCopy } from '../helpers/project.js';

afterEach(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

describe('nano dev (real process, port 0)', () => {
  it('builds, serves the examples, answers while stuck times out, and stops cleanly on Ctrl-C', async () => {
    const dir = await examplesCopy();
    const dev = startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', '0', '--workers', '2']);
    const [, url] = await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);

    // The routes table names every function with its URL and limits.
    expect(dev.stdout()).toMatch(new RegExp(`stuck +${url}/exec/stuck +1 page, timeout 100ms, ttl 1s`));
    expect(dev.stdout()).toContain(`GET ${url}/sum`);

    expect(await (await fetch(`${url}/exec/sum?5,2`)).text()).toBe('7');
    const stuck = fetch(`${url}/exec/stuck`);
    const answers = await Promise.all([1, 2, 3].map(() => fetch(`${url}/exec/answer`).then((r) => r.text())));
    expect(answers).toEqual(['42', '42', '42']);
    const timedOut = await stuck;
    expect(timedOut.status).toBe(504);
    expect(((await timedOut.json()) as { error: { code: string } }).error.code).toBe('FunctionTimeout');
    expect(await (await fetch(`${url}/sum?20,22`)).text()).toBe('42');

    expect(await dev.stop('SIGINT')).toBe(0);
  });

  it('exits 1 with the located error when nano.yml is invalid, and 1 when the port is taken', async () => {
    const dir = await examplesCopy();
    const bad = startCli(['dev', '-c', join(dir, 'missing.yml'), '--port', '0']);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toContain('cannot read');

    const first = startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', '0']);
    const [, port] = await first.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const second = startCli(['dev', '-c', join(dir, 'nano.yml'), '--port', port!]);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain('EADDRINUSE');
    expect(await first.stop()).toBe(0);
  });
});

describe('nano invoke --local (real process)', () => {
  it('prints the result, or the error with exit 1', async () => {
    const dir = await examplesCopy();
    const sum = startCli(['invoke', 'sum', '5', '2', '--local', '-c', join(dir, 'nano.yml')]);
    expect(await sum.exited).toBe(0);
    expect(sum.stdout()).toBe('7\n');

    // Negative numbers go after `--`, as the help says.
    const negative = startCli(['invoke', 'sum', '--local', '-c', join(dir, 'nano.yml'), '--', '-5', '2']);
    expect(await negative.exited).toBe(0);
    expect(negative.stdout()).toBe('-3\n');

    const stuck = startCli(['invoke', 'stuck', '--local', '-c', join(dir, 'nano.yml')]);
    expect(await stuck.exited).toBe(1);
    expect(stuck.stderr()).toContain('stuck exceeded its 100ms timeout');

    const wrong = startCli(['invoke', 'sum', '5', '--local', '-c', join(dir, 'nano.yml')]);
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr()).toContain('sum(i32, i32) -> i32');
  });
});
