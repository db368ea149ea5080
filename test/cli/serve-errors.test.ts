/**
 * Errors that help, in every mode (issue 12, item 5), against `nano dev` and `nano server` run by the
 * real CLI on port 0: a wrong method on a served path is 405 with `Allow`; every control-plane command
 * pointed at `nano dev` says it has no control plane; and `nano dev` whose only function fails to build
 * says so instead of a green "✓ 0 functions".
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/io.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { serveInProcess, type ServingCli } from '../helpers/serve-in-process.js';
import { SUM_WAT } from '../helpers/wat.js';

const running: ServingCli[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((cli) => cli.stop()));
  await removeTempProjects();
});

async function serve(argv: string[], cwd: string): Promise<ServingCli> {
  const cli = await serveInProcess(argv, cwd);
  running.push(cli);
  return cli;
}

const sumProject = () =>
  tempProject({
    'nano.yml': yml('service: demo', 'functions:', '  sum:', '    source: functions/sum.wat', '    http: { method: GET, path: /sum }'),
    'functions/sum.wat': SUM_WAT,
  });

/** The hint names where the routes are listed, for the command that serves. */
async function expect405(url: string, routesListedBy: string): Promise<void> {
  const response = await fetch(`${url}/sum?1,2`, { method: 'DELETE' });
  expect(response.status).toBe(405);
  expect(response.headers.get('allow')).toBe('GET, HEAD');
  const body = (await response.json()) as { error: { code: string; message: string; hint: string } };
  expect(body.error).toMatchObject({ code: 'MethodNotAllowed', message: '/sum does not take DELETE, only GET, HEAD' });
  expect(body.error.hint).toContain(routesListedBy);
  // The right method is served, and a path no route has is still 404.
  expect(await (await fetch(`${url}/sum?1,2`)).text()).toBe('3');
  expect((await fetch(`${url}/nothing`, { method: 'DELETE' })).status).toBe(404);
}

describe('a method the path does not take: 405 with Allow', () => {
  it('in nano dev', async () => {
    const cwd = await sumProject();
    const dev = await serve(['dev', '--port', '0', '--no-watch', '--workers', '1'], cwd);
    await expect405(dev.url, '`nano dev` printed the routes');
  });

  it('in nano server', async () => {
    const cwd = await sumProject();
    const server = await serve(['server', '--port', '0', '--workers', '1', '--drain-delay', '0', '--data', join(cwd, 'data')], cwd);
    const io = captureIo({ cwd });
    expect(await main(['deploy', '--url', server.url], io), io.err()).toBe(0);
    await expect405(server.url, '`nano info` lists the routes');
  });
});

describe('a control-plane command pointed at nano dev', () => {
  it.each([
    [['logs', 'sum']],
    [['logs', 'sum', '--tail']],
    [['info', 'sum']],
    [['info']],
    [['rollback', 'sum']],
    [['remove', '--yes']],
    [['deploy']],
  ])('nano %j says the URL has no control plane', async (argv) => {
    const cwd = await sumProject();
    const dev = await serve(['dev', '--port', '0', '--no-watch', '--workers', '1'], cwd);
    const io = captureIo({ cwd });
    expect(await main([...argv, '--url', dev.url], io)).toBe(1);
    expect(io.err()).toContain(`✗ ${dev.url} has no control plane: `);
    expect(io.err()).toContain('hint: point --url or provider.url at a `nano server`');
  });

  it('still reports what a control plane says about a function (not "no control plane")', async () => {
    const cwd = await sumProject();
    const server = await serve(['server', '--port', '0', '--workers', '1', '--drain-delay', '0', '--data', join(cwd, 'data')], cwd);
    const io = captureIo({ cwd });
    expect(await main(['deploy', '--url', server.url], io), io.err()).toBe(0);
    const rollback = captureIo({ cwd });
    expect(await main(['rollback', 'sum', '--url', server.url], rollback)).toBe(1);
    expect(rollback.err()).toContain('✗ sum has no version before v1');
    const logs = captureIo({ cwd });
    expect(await main(['logs', 'nope', '--url', server.url], logs)).toBe(1);
    expect(logs.err()).toContain('✗ no function named "nope"');
  });
});

describe('nano dev whose only function fails to build', () => {
  it('says what failed instead of a green "✓ 0 functions"', async () => {
    const cwd = await tempProject({
      'nano.yml': yml('service: demo', 'functions:', '  bad:', '    source: functions/bad.wat'),
      'functions/bad.wat': '(module (func (export "_start") (result i32) i32.cnst 7))',
    });
    const dev = await serve(['dev', '--port', '0', '--workers', '1'], cwd);
    const out = dev.io.out();
    expect(out).not.toContain('✓');
    expect(out).toContain('! demo (dev): 0 functions serving, 1 failed to build: bad');
    expect(dev.io.err()).toContain('✗ bad: ');
  });
});
