/**
 * `nano invoke` for a wagi function: a request of the caller's own (--method, --path, -H, --data,
 * --data-binary @file), run here (--local, through the same HTTP app as nano dev) and on a real
 * platform, the response body printed as it is, a 4xx/5xx answer exiting 1; an args function refuses
 * request flags locally.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { captureIo } from '../helpers/io.js';
import { startServer, TOKEN, type RunningServer } from '../helpers/platform.js';
import { examplesCopy, removeTempProjects } from '../helpers/project.js';

let project: string;
let server: RunningServer;

async function nano(args: string[]) {
  const io = captureIo({ cwd: project, env: { NANO_TOKEN: TOKEN } });
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

beforeAll(async () => {
  project = await examplesCopy();
  server = await startServer();
  expect((await nano(['deploy', '--url', server.url])).code).toBe(0);
});

afterAll(async () => {
  await killStrayProcesses();
  await removeTempProjects();
});

describe.each([
  ['here (--local)', () => ['--local']],
  ['on the platform', () => ['--url', server.url]],
])('nano invoke items %s', (_where, where) => {
  it('sends the method, path and body asked for, and prints the body as it is', async () => {
    expect(await nano(['invoke', 'items', '--path', '/7', ...where()])).toEqual({ code: 0, out: '{"id":"7"}\n', err: '' });
    expect(await nano(['invoke', 'items', '-X', 'POST', '--data', 'hi', ...where()])).toMatchObject({ code: 0, out: '{"received":2}\n' });
    await writeFile(join(project, 'body.bin'), new Uint8Array([0, 1, 2, 255, 10]));
    expect(await nano(['invoke', 'items', '--data-binary', '@body.bin', ...where()])).toMatchObject({ code: 0, out: '{"received":5}\n' });
  });

  it('gives status and headers under --json, and exits 1 on a 4xx answer', async () => {
    const refused = await nano(['invoke', 'items', '-X', 'DELETE', '-H', 'x-trace: 1', '--json', ...where()]);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out)).toMatchObject({ name: 'items', status: 405, body: '{"error":"method not allowed"}\n' });
    expect(refused.err).toContain('items answered 405');
  });
});

describe('nano invoke request flags', () => {
  it('refuses what cannot be sent, naming it', async () => {
    expect(await nano(['invoke', 'items', '--path', 'x', '--local'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--path must start with "/"'),
    });
    expect(await nano(['invoke', 'items', '-H', 'no colon', '--local'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('-H must be "Name: value"'),
    });
    expect(await nano(['invoke', 'items', '-X', 'GET', '--data', 'x', '--local'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('a GET request has no body'),
    });
    expect(await nano(['invoke', 'items', '--data-binary', '@missing.bin', '--local'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('missing.bin'),
    });
    expect(await nano(['invoke', 'sum', '--data', '1', '--local'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('sum takes arguments, not a request'),
    });
  });
});
