/**
 * The real nginx in front of `nano server` nodes, for the cluster tests: renders the shipped
 * `deploy/nginx/nano.conf.template` (its `${NANO_LISTEN}` and `${NANO_UPSTREAMS}` placeholders, as
 * envsubst would), wraps it in an nginx.conf whose pid file, logs and temp folders all live in a
 * fresh temp folder, and runs `nginx -p <tmp> -c <conf>` in the foreground (`daemon off`) as a child
 * that is stopped by its PID. The port is found by binding port 0 and closing it; another process may
 * take it in between, so a start that fails with "Address already in use" is retried on a new port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { renderTemplate, selfContainedConf } from '../../deploy/nginx/render.js';
import { accepts, freePort } from '../helpers/ports.js';
import { tempProject } from '../helpers/project.js';

export { renderTemplate } from '../../deploy/nginx/render.js';

/** Why the cluster suite cannot run here, or undefined when it can. */
export function missingNginx(): string | undefined {
  const found = spawnSync('nginx', ['-v'], { stdio: 'ignore' });
  return found.error === undefined ? undefined : 'the `nginx` binary is not on PATH (apt-get install nginx-light; .ci/run does)';
}

export interface RunningNginx {
  url: string;
  dir: string;
  /** The rendered template (what a user's conf.d/nano.conf would hold). */
  siteConf: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const running = new Set<RunningNginx>();

/** Upstream `server` lines for node URLs like http://127.0.0.1:1234. */
export const upstreamLines = (urls: string[], params = 'max_fails=1 fail_timeout=5s') =>
  urls.map((url) => `server ${new URL(url).host} ${params};`.replace(' ;', ';'));

export async function startNginx(upstreams: string[]): Promise<RunningNginx> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await startOnce(upstreams, await freePort());
    } catch (error) {
      if (!(error instanceof AddressInUse)) throw error;
      lastError = error;
    }
  }
  throw lastError!;
}

class AddressInUse extends Error {}

async function startOnce(upstreams: string[], port: number): Promise<RunningNginx> {
  const dir = await tempProject();
  // mkdtemp makes the folder 0700; when the tests run as root, nginx's workers run as `nobody` and
  // must reach the temp folders that the master creates (and chowns to them) inside it.
  await chmod(dir, 0o755);
  const siteConf = renderTemplate(`127.0.0.1:${port}`, upstreams);
  await writeFile(join(dir, 'nano.conf'), siteConf);
  await writeFile(join(dir, 'nginx.conf'), selfContainedConf(dir, join(dir, 'nano.conf')));
  // -e: the error log before the config is read, which would otherwise be /var/log/nginx/error.log.
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    running.delete(nginx);
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM is nginx's fast shutdown: the master stops its workers, then exits.
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), delay(5_000).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const nginx: RunningNginx = { url: `http://127.0.0.1:${port}`, dir, siteConf, child, stop };
  running.add(nginx);

  // Ready once it accepts a connection; bounded, and failing fast if nginx exits.
  for (let tries = 0; tries < 200; tries++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await accepts(port)) return nginx;
    await delay(25);
  }
  await stop();
  const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  const message = `nginx did not start on port ${port}:\n${output}\n${log}`;
  throw /Address already in use/.test(message) ? new AddressInUse(message) : new Error(message);
}

/** Stops every nginx a test started (call from afterEach). */
export async function stopAllNginx(): Promise<void> {
  await Promise.all([...running].map((nginx) => nginx.stop()));
}
