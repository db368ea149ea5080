/**
 * `nano server`'s connection-limit flags: shown in --help, checked as bad
 * usage, and in force on a real process (slow headers closed, a cut-off body
 * never printed as an internal error).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { captureIo } from '../helpers/io.js';
import { startServer, TOKEN } from '../helpers/platform.js';
import { removeTempProjects } from '../helpers/project.js';
import { destroyRawClients, parseRaw, rawConnect } from './raw-client.js';

afterEach(async () => {
  destroyRawClients();
  await killStrayProcesses();
  await removeTempProjects();
});

describe('nano server connection flags', () => {
  it('lists each flag with its default in --help', async () => {
    const io = captureIo({ cwd: '/' });
    expect(await main(['server', '--help'], io)).toBe(0);
    const help = io.out().replace(/\s+/g, ' ');
    expect(help).toMatch(/--headers-timeout .*\[default: 10000\]/);
    expect(help).toMatch(/--request-timeout .*\[default: 60000\]/);
    expect(help).toMatch(/--keep-alive-timeout .*\[default: 5000\]/);
    expect(help).toMatch(/--max-connections .*\[default: 1024\]/);
  });

  it.each([
    [['--headers-timeout', '-5'], '--headers-timeout must be a whole number of milliseconds from 1 to 3600000, got -5'],
    [['--request-timeout', 'x'], '--request-timeout must be a number, got "x"'],
    [['--keep-alive-timeout', '0'], '--keep-alive-timeout must be a whole number of milliseconds from 1 to 3600000, got 0'],
    [['--max-connections', '1.5'], '--max-connections must be a whole number from 1 to 1000000, got 1.5'],
    [['--headers-timeout', '5000', '--request-timeout', '1000'], '--headers-timeout (5000 ms) must not exceed --request-timeout (1000 ms)'],
  ])('refuses %j as bad usage (exit 2) before starting anything', async (flags, message) => {
    const io = captureIo({ cwd: '/nonexistent' });
    expect(await main(['server', ...flags], io)).toBe(2);
    expect(io.err()).toContain(message);
    expect(io.out()).toBe('');
  });

  it('applies them on a real server: slow headers get a 408, a cut-off body is no internal error', async () => {
    const server = await startServer({ args: ['--headers-timeout', '300', '--max-connections', '8'] });
    const port = Number(new URL(server.url).port);

    const slow = await rawConnect(port);
    await slow.write('GET /healthz HTTP/1.1\r\n');
    const drip = setInterval(() => slow.socket.write('X-Slow: 1\r\n'), 50);
    try {
      expect(parseRaw(await slow.closed)).toMatchObject({ status: 408, code: 'RequestTimeout' });
    } finally {
      clearInterval(drip);
    }

    const cut = await rawConnect(port);
    await cut.write(`POST /deployments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 1000\r\n\r\nabc`);
    cut.socket.destroy();
    await cut.closed;
    // Wait until the server has seen the cut body: counted (the fix) or logged as an internal error (the bug).
    const abortedBodies = async () =>
      ((await (await fetch(`${server.url}/healthz`)).json()) as { clientErrors: { abortedBodies: number } }).clientErrors.abortedBodies;
    while ((await abortedBodies()) === 0 && !/internal error/.test(server.process.stderr())) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.process.stderr()).not.toMatch(/internal error|Error: aborted|\n\s+at /);
    expect(await abortedBodies()).toBe(1);
  }, 30_000);
});
