/**
 * Faults in a cluster of real `nano server` nodes on one real redis-server, the real nginx in front
 * where the load goes through it: a node that missed revisions the change log no longer holds (paused,
 * then killed and started again) catches up on the whole state; a node kill -9ed or drained (SIGTERM)
 * under load costs 0 failed requests; Redis killed and started again on its append-only file costs the
 * data plane nothing, the control plane answers 503 RegistryUnavailable meanwhile, and nothing is lost.
 * One redis-server and two nodes (n0 commits, n1) for the file, and in each case a third node (n2, the
 * one the fault hits) and nginx of its own, each case with functions of its own; Redis goes down in the
 * last case only. Counts only, never durations. Every process is stopped by its PID after its case, or
 * after the file. Without redis-server or nginx on PATH the suite fails, naming it, unless
 * NANO_SKIP_CLUSTER=1.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import type { BuildResult } from '../../src/build/index.js';
import type { NodeList, VersionList } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { authHeaders, deploy, deployRequest, plan, startServer, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { answerWat, busyWat } from '../helpers/wat.js';
import { missingNginx, startNginx, stopAllNginx, upstreamLines } from './nginx.js';
import { missingRedis, startRedis, stopAllRedis, type RunningRedis } from './redis.js';

const missing = missingRedis() ?? missingNginx();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

/** A node on the registry, with a data folder of its own (its artifact cache) unless given one. */
const startNode = (registry: string, id: string, args: string[] = [], dataDir?: string) =>
  startServer({ dataDir, args: ['--registry', registry, '--node-id', id, ...args], env: { NANO_REGISTRY: '' } });

const showStderr = (id: string, node: RunningServer) => {
  const { child } = node.process;
  if (node.process.stderr() !== '') console.log(`${id} (exit ${child.exitCode ?? child.signalCode}) stderr:\n${node.process.stderr()}`);
};

/** A node for one case: its stderr shown if the case fails, and stopped with it (gracefully, so that it leaves the node list). */
async function caseNode(registry: string, id: string, args: string[] = [], dataDir?: string): Promise<RunningServer> {
  const node = await startNode(registry, id, args, dataDir);
  onTestFailed(() => showStderr(id, node));
  onTestFinished(async () => {
    const { child } = node.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT'); // a paused node could not handle SIGTERM
    await node.process.stop('SIGTERM');
  });
  return node;
}

/** A build of service `name` with one function `name` from `wat`. */
const built = async (name: string, wat: string): Promise<BuildResult> =>
  build(
    await tempProject({ 'nano.yml': yml(`service: ${name}`, 'functions:', `  ${name}: { source: ${name}.wat }`), [`${name}.wat`]: wat }),
  );

interface Answer {
  status: number;
  body: string;
  version: string | null;
  node: string | null;
}

async function call(url: string, name: string): Promise<Answer> {
  try {
    const response = await fetch(`${url}/exec/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    const body = (await response.text()).trim();
    return { status: response.status, body, version: response.headers.get('x-nano-version'), node: response.headers.get('x-nano-node') };
  } catch (error) {
    return { status: 0, body: String(error), version: null, node: null };
  }
}

const served = async (url: string, name: string) => {
  const answer = await call(url, name);
  return answer.status === 200 ? `200 v${answer.version} ${answer.body}` : String(answer.status);
};
/** Polls until every node serves `expected` (n0 does not wait long for the others: its commit may answer first). */
const servedBy = async (nodes: RunningServer[], name: string, expected: string) => {
  for (const node of nodes) await expect.poll(() => served(node.url, name), { timeout: 10_000 }).toBe(expected);
};

const CALLERS = 8;

/** CALLERS concurrent callers, caller i at targets[i % targets.length], until `stop()` (asked before each call). */
async function load(targets: string[], name: string, answers: Answer[], stop: () => boolean): Promise<void> {
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      while (!stop()) answers.push(await call(targets[caller % targets.length]!, name));
    }),
  );
}

const control = (url: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const nodeIds = async (url: string) =>
  ((await (await control(url, 'GET', '/healthz/nodes')).json()) as NodeList).nodes.map((node) => node.id);
/** Failed answers, one line each, and how many answers each node gave. */
const failuresOf = (answers: Answer[], body: string) =>
  answers
    .filter((answer) => answer.status !== 200 || answer.body !== body)
    .map((answer) => `${answer.status} ${answer.body.slice(0, 200)}`);
const byNode = (answers: Answer[]) =>
  answers.reduce<Record<string, number>>((count, { node }) => ({ ...count, [String(node)]: (count[String(node)] ?? 0) + 1 }), {});

if (missing !== undefined && !skipped) {
  describe('faults in a cluster of nano server nodes', () => {
    it('needs redis-server and nginx', () => {
      throw new Error(`${missing}. Set NANO_SKIP_CLUSTER=1 to skip the cluster suite.`);
    });
  });
}

describe.skipIf(missing !== undefined)(
  skipped ? `cluster faults suite skipped: ${missing} (NANO_SKIP_CLUSTER=1)` : 'faults in a cluster of nano server nodes',
  () => {
    let redis: RunningRedis;
    let registry: string;
    let a: RunningServer;
    let b: RunningServer;

    beforeAll(async () => {
      redis = await startRedis({ appendOnly: true });
      registry = redis.url();
      // n0 commits every change; it waits only briefly for a node that does not answer.
      [a, b] = (await Promise.all([startNode(registry, 'n0', ['--converge-timeout', '500']), startNode(registry, 'n1')])) as [
        RunningServer,
        RunningServer,
      ];
    });
    beforeEach(({ onTestFailed }) =>
      onTestFailed(() => {
        showStderr('n0', a);
        showStderr('n1', b);
      }),
    );
    afterEach(async () => {
      await stopAllNginx();
    });
    afterAll(async () => {
      await killStrayProcesses();
      await stopAllRedis();
      await removeTempProjects();
    });

    it('brings a node that missed revisions the trimmed change log no longer holds to the newest state', async () => {
      const c = await caseNode(registry, 'n2');
      const log = `{${new URL(registry).searchParams.get('prefix')}}:log`;
      await deploy(a.url, await built('c7f', answerWat(1)));
      await servedBy([c], 'c7f', '200 v1 1');

      // C is paused (alive, but hears nothing) while three revisions land and the log is trimmed.
      c.process.child.kill('SIGSTOP');
      const missed = [];
      for (const k of [2, 3, 4]) missed.push((await deploy(a.url, await built('c7f', answerWat(k)))).committed);
      expect(missed[0]!.convergence).toMatchObject({ nodes: 3, converged: 2, lagging: ['n2'] });
      redis.cli('XTRIM', log, 'MAXLEN', '0');
      expect(redis.cli('XLEN', log).trim()).toBe('0');
      c.process.child.kill('SIGCONT');
      await servedBy([c], 'c7f', '200 v4 4');

      // C killed, one more revision, the log trimmed again: C started again on its data folder serves it.
      c.process.child.kill('SIGKILL');
      await c.process.exited;
      await deploy(a.url, await built('c7f', answerWat(5)));
      redis.cli('XTRIM', log, 'MAXLEN', '0');
      const again = await caseNode(registry, 'n2', [], c.dataDir);
      expect(await served(again.url, 'c7f')).toBe('200 v5 5');
      const versions = (await (await control(again.url, 'GET', '/functions/c7f/versions')).json()) as VersionList;
      expect(versions.versions.map((version) => version.version)).toEqual([5, 4, 3, 2, 1]);
    });

    it('fails 0 requests through nginx when a node is kill -9ed under load', async () => {
      const c = await caseNode(registry, 'n2');
      await deploy(a.url, await built('c8f', busyWat(2, 8)));
      await servedBy([a, b, c], 'c8f', '200 v1 8');
      const nginx = await startNginx(upstreamLines([a.url, b.url, c.url]));

      const answers: Answer[] = [];
      let killedAt = -1;
      let exitedAt = -1;
      await load([nginx.url], 'c8f', answers, () => {
        if (killedAt < 0 && answers.length >= 200) {
          killedAt = answers.length;
          c.process.child.kill('SIGKILL');
          void c.process.exited.then(() => (exitedAt = answers.length));
        }
        // Counted, not timed: 400 more answers once C is gone (and a bound, should it never go).
        return (exitedAt >= 0 && answers.length >= exitedAt + 400) || answers.length >= 10_000;
      });

      const failed = failuresOf(answers, '8');
      // Once C is gone and the calls then in flight (one per caller) are answered, nothing comes from C.
      const after = byNode(answers.slice(exitedAt + CALLERS));
      console.log(
        `kill -9 under load through nginx: ${answers.length} requests, ${failed.length} failed; after the kill ${JSON.stringify(after)}`,
      );
      expect(exitedAt).toBeGreaterThan(0);
      expect(failed).toEqual([]);
      // The two nodes left serve everything after the kill, both of them.
      expect(Object.keys(after).sort()).toEqual(['n0', 'n1']);
      expect([await served(a.url, 'c8f'), await served(b.url, 'c8f')]).toEqual(['200 v1 8', '200 v1 8']);
    });

    it('fails 0 requests through nginx when a node drains (SIGTERM) under load', async () => {
      // C keeps serving 1.5 s after SIGTERM (Connection: close), then refuses connections, then stops.
      const c = await caseNode(registry, 'n2', ['--drain-delay', '1500']);
      await deploy(a.url, await built('c9f', busyWat(2, 9)));
      await servedBy([a, b, c], 'c9f', '200 v1 9');
      const nginx = await startNginx(upstreamLines([a.url, b.url, c.url]));

      const answers: Answer[] = [];
      let termAt = -1;
      let exitedAt = -1;
      await load([nginx.url], 'c9f', answers, () => {
        if (termAt < 0 && answers.length >= 200) {
          termAt = answers.length;
          c.process.child.kill('SIGTERM');
          void c.process.exited.then(() => (exitedAt = answers.length));
        }
        return (exitedAt >= 0 && answers.length >= exitedAt + 200) || answers.length >= 10_000;
      });

      const failed = failuresOf(answers, '9');
      const during = byNode(answers.slice(termAt, exitedAt));
      console.log(
        `SIGTERM drain under load through nginx: ${answers.length} requests, ${failed.length} failed; while draining ${JSON.stringify(during)}`,
      );
      expect(exitedAt).toBeGreaterThan(0);
      expect(failed).toEqual([]);
      expect(await c.process.exited).toBe(0);
      expect(c.process.stdout()).toMatch(/draining: \d+ requests? in flight[\s\S]*\nstopped\n/);
      // It served while it drained, nothing once it had gone, and it left the registry's node list.
      expect(during.n2).toBeGreaterThan(0);
      expect(Object.keys(byNode(answers.slice(exitedAt + CALLERS))).sort()).toEqual(['n0', 'n1']);
      expect(await nodeIds(a.url)).toEqual(['n0', 'n1']);
    });

    it('keeps serving while Redis is down, refuses changes with 503 RegistryUnavailable, and loses nothing', async () => {
      const c = await caseNode(registry, 'n2');
      const nodes = [a, b, c];
      await deploy(a.url, await built('c10f', answerWat(1)));
      const { committed } = await deploy(a.url, await built('c10f', answerWat(2)));
      await servedBy(nodes, 'c10f', '200 v2 2');
      const before = await (await control(c.url, 'GET', '/functions/c10f/versions')).json();

      await redis.kill();
      const answers: Answer[] = [];
      await load(
        nodes.map((node) => node.url),
        'c10f',
        answers,
        () => answers.length >= 300,
      );
      const failed = failuresOf(answers, '2');
      console.log(`Redis down: ${answers.length} data-plane requests, ${failed.length} failed; ${JSON.stringify(byNode(answers))}`);
      expect(failed).toEqual([]);
      expect(Object.keys(byNode(answers)).sort()).toEqual(['n0', 'n1', 'n2']);
      for (const node of nodes) expect((await fetch(`${node.url}/healthz/ready`)).status).toBe(200);

      const third = await built('c10f', answerWat(3));
      const refused = [
        await plan(a.url, deployRequest(third)),
        await control(b.url, 'POST', '/functions/c10f/rollback', {}),
        await control(c.url, 'DELETE', '/functions/c10f'),
      ];
      for (const response of refused) {
        expect(response.status, response.url).toBe(503);
        expect(response.headers.get('retry-after'), response.url).toMatch(/^\d+$/);
        expect(await response.json(), response.url).toMatchObject({ error: { code: 'RegistryUnavailable' } });
      }
      expect(await served(c.url, 'c10f')).toBe('200 v2 2');

      await redis.restart();
      // The nodes reconnect on their own (a backoff of up to 2 s): polled, not waited for.
      await expect.poll(() => plan(a.url, deployRequest(third)).then((response) => response.status, String), { timeout: 10_000 }).toBe(200);
      // A node that was not there before reads everything back from the restarted Redis.
      const fresh = await caseNode(registry, 'n3');
      expect(await served(fresh.url, 'c10f')).toBe('200 v2 2');
      expect(await (await control(fresh.url, 'GET', '/functions/c10f/versions')).json()).toEqual(before);

      const after = await deploy(fresh.url, third);
      expect(after.committed.revision).toBe(committed.revision! + 1);
      expect(after.committed.functions).toMatchObject([{ name: 'c10f', version: 3, change: 'updated' }]);
      const everyone = [...nodes, fresh];
      const exited = () => everyone.filter((node) => node.process.child.exitCode !== null);
      // Every node's subscription is back (a reconnection is when a node looks for what it missed), or a node is gone.
      const subscribed = () => redis.cli('CLIENT', 'LIST', 'TYPE', 'pubsub').trim().split('\n').filter(Boolean).length >= everyone.length;
      await expect.poll(() => subscribed() || exited().length > 0, { timeout: 10_000 }).toBe(true);
      expect(exited().map((node) => node.process.stderr())).toEqual([]);
      await servedBy(everyone, 'c10f', '200 v3 3');
    });
  },
);
