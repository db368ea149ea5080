/**
 * The shipped nginx config (deploy/nginx/nano.conf.template) with the real nginx in front of real
 * `nano server` nodes: both nodes answer, a node kill -9ed under load costs 0 failed requests (the
 * data plane is re-sent to the other node), the control plane is never re-sent once it may have
 * reached a node, and readiness passes through. Without nginx on PATH the suite fails, naming it,
 * unless NANO_SKIP_CLUSTER=1 (then it is skipped with the same message): CI never skips silently.
 * Counts only, never durations; every process is stopped by its PID after each test.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { build, projectYaml } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { deploy, startServer, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject } from '../helpers/project.js';
import { busyWat } from '../helpers/wat.js';
import { missingNginx, renderTemplate, startNginx, stopAllNginx, upstreamLines } from './nginx.js';

const missing = missingNginx();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

afterEach(async () => {
  await stopAllNginx();
  await killStrayProcesses();
  await removeTempProjects();
});

/** `count` nodes, each with its own data folder, the same project deployed to each. */
async function nodes(count: number): Promise<RunningServer[]> {
  const dir = await tempProject({ 'nano.yml': projectYaml({ answer: 'answer.wat' }), 'answer.wat': busyWat(2) });
  const built = await build(dir);
  const servers = await Promise.all(Array.from({ length: count }, () => startServer()));
  for (const server of servers) await deploy(server.url, built);
  return servers;
}

async function invocations(node: RunningServer): Promise<number> {
  const response = await fetch(`${node.url}/stats/answer`, { headers: { accept: 'application/json' } });
  return ((await response.json()) as { invocations: number }).invocations;
}

const callAnswer = (url: string) =>
  fetch(`${url}/exec/answer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).then(
    async (response) => ({ status: response.status, body: await response.text() }),
    (error: unknown) => ({ status: 0, body: String(error) }),
  );

/** An upstream that reads one request's head, records it, and drops the connection: a node dying mid-request. */
async function dyingUpstream(): Promise<{ url: string; received: string[]; server: Server }> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        received.push(head.slice(0, head.indexOf('\r\n')));
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  server.on('close', () => sockets.forEach((socket) => socket.destroy()));
  return { url: `http://127.0.0.1:${address.port}`, received, server };
}

const fakes: Server[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

if (missing !== undefined && !skipped) {
  describe('nginx in front of nano server nodes', () => {
    it('needs nginx', () => {
      throw new Error(`${missing}. Set NANO_SKIP_CLUSTER=1 to skip the cluster suite.`);
    });
  });
}

describe.skipIf(missing !== undefined)(
  skipped ? `nginx cluster suite skipped: ${missing} (NANO_SKIP_CLUSTER=1)` : 'nginx in front of nano server nodes',
  () => {
    it('spreads requests over both nodes', async () => {
      const [a, b] = await nodes(2);
      const nginx = await startNginx(upstreamLines([a!.url, b!.url]));

      const answers = [];
      for (let i = 0; i < 20; i++) answers.push(await callAnswer(nginx.url));
      expect(answers.filter((answer) => answer.status === 200 && answer.body.trim() === '42')).toHaveLength(20);

      const [onA, onB] = [await invocations(a!), await invocations(b!)];
      expect(onA).toBeGreaterThan(0);
      expect(onB).toBeGreaterThan(0);
      expect(onA + onB).toBe(20);
    });

    it('fails 0 requests when a node is kill -9ed under load', async () => {
      const [a, b] = await nodes(2);
      const nginx = await startNginx(upstreamLines([a!.url, b!.url]));

      // 8 concurrent loops share 1,600 calls; node B is killed once 300 have been answered.
      const total = 1_600;
      const killAfter = 300;
      let started = 0;
      let done = 0;
      let killedAt = -1;
      const failures: string[] = [];
      const loop = async () => {
        while (started < total) {
          started++;
          const answer = await callAnswer(nginx.url);
          done++;
          if (answer.status !== 200) failures.push(`${answer.status} ${answer.body.slice(0, 200)}`);
          if (done >= killAfter && killedAt < 0) {
            killedAt = done;
            b!.process.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, loop));
      await b!.process.exited;

      console.log(`kill -9 under load: ${done} requests, ${failures.length} failed, node B killed after ${killedAt}`);
      expect(done).toBe(total);
      expect(killedAt).toBeGreaterThan(0);
      expect(failures).toEqual([]);
      // The node still alive served everything after the kill.
      expect(await invocations(a!)).toBeGreaterThanOrEqual(total - killedAt);
    });

    it('re-sends a data-plane call to the next node, but never a control-plane POST', async () => {
      const upstreams = [await dyingUpstream(), await dyingUpstream()];
      fakes.push(...upstreams.map((upstream) => upstream.server));
      // max_fails=0: neither upstream is ever marked down, so every request reaches them and is counted.
      const nginx = await startNginx(
        upstreamLines(
          upstreams.map((upstream) => upstream.url),
          'max_fails=0',
        ),
      );
      const received = () => upstreams.flatMap((upstream) => upstream.received.splice(0));
      const send = (method: string, path: string) =>
        fetch(`${nginx.url}${path}`, {
          method,
          body: method === 'GET' ? undefined : '{}',
          headers: { 'content-type': 'application/json' },
        }).then((response) => response.status);

      for (const path of ['/deployments', '/deployments/d-1/commit', '/functions/answer/rollback', '/register/answer']) {
        const method = path.startsWith('/register') ? 'GET' : 'POST';
        expect(await send(method, path), path).toBe(502);
        // nginx re-sends a GET (registering the same module twice is a no-op), never a POST without non_idempotent.
        expect(received(), path).toEqual(method === 'GET' ? [`GET ${path} HTTP/1.1`, `GET ${path} HTTP/1.1`] : [`POST ${path} HTTP/1.1`]);
      }
      for (const path of ['/exec/answer', '/sum']) {
        expect(await send('POST', path), path).toBe(502);
        expect(received(), path).toEqual([`POST ${path} HTTP/1.1`, `POST ${path} HTTP/1.1`]);
      }
    });

    it('passes /healthz and /healthz/ready through', async () => {
      const [a] = await nodes(1);
      const nginx = await startNginx(upstreamLines([a!.url]));
      const ready = await fetch(`${nginx.url}/healthz/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      const live = await fetch(`${nginx.url}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'ok', functions: 1 });
    });

    it('ships a config that retries only what is safe to retry', async () => {
      const siteConf = await renderTemplate('127.0.0.1:8080', upstreamLines(['http://127.0.0.1:8000']));
      const location = (pattern: string) => {
        const start = siteConf.indexOf(`location ${pattern} {`);
        expect(start, pattern).toBeGreaterThan(-1);
        return siteConf.slice(start, siteConf.indexOf('}', start));
      };
      const controlPlane = location('~ ^/(deployments|artifacts|functions|register)(/|$)');
      expect(controlPlane).toMatch(/proxy_next_upstream error timeout;/);
      expect(location('/')).toMatch(/proxy_next_upstream error timeout non_idempotent;/);
      expect(location('/')).toMatch(/proxy_next_upstream_tries 2;/);
      // Never on a status: a 503 or 429 re-sent elsewhere would amplify overload.
      expect(siteConf).not.toMatch(/^\s*proxy_next_upstream[^;]*http_/m);
      expect(siteConf).toMatch(/^\s*client_max_body_size 8m;/m);
      expect(siteConf).not.toMatch(/\$\{NANO_/);
    });
  },
);
