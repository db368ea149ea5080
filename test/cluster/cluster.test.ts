/**
 * Three real `nano server` nodes sharing one real redis-server (`--registry redis://…`), the real nginx
 * in front: a change made through any node is served by every node once its commit answers, no
 * response mixes two revisions, a deploy's plan, upload and commit may each reach another node, racing
 * deploys both land, a rollback and a remove spread like a deploy, a node that lost its change messages
 * catches up, and NANO_REGISTRY names the registry. The faults (a node killed or drained under load,
 * the change log trimmed past a node, Redis down) are in cluster-faults.test.ts. Without redis-server
 * or nginx on PATH the suite fails, naming it, unless NANO_SKIP_CLUSTER=1. Counts only, never
 * durations; one cluster for the whole file (each case with functions of its own), every process
 * stopped by its PID after it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../src/build/index.js';
import type { DeployCommitted, DeployPlan, NodeList } from '../../src/server/index.js';
import { build } from '../helpers/build.js';
import { killStrayProcesses, startCli } from '../helpers/cli-process.js';
import { authHeaders, commit, deploy, deployRequest, plan, startServer, TOKEN, upload, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { answerWat } from '../helpers/wat.js';
import { missingNginx, startNginx, stopAllNginx, upstreamLines, type RunningNginx } from './nginx.js';
import { missingRedis, startRedis, stopAllRedis, type RunningRedis } from './redis.js';

const missing = missingRedis() ?? missingNginx();
const skipped = missing !== undefined && process.env.NANO_SKIP_CLUSTER === '1';

/** A node on the shared registry, with a data folder of its own (its artifact cache). */
const startNode = (registry: string, id: string, args: string[] = []) =>
  startServer({ args: ['--registry', registry, '--node-id', id, ...args], env: { NANO_REGISTRY: '' } });

/** A project of `service` whose functions each return a constant: `{ f: 1 }` is f returning 1. */
const project = (service: string, values: Record<string, number>) =>
  tempProject({
    'nano.yml': yml(`service: ${service}`, 'functions:', ...Object.keys(values).map((name) => `  ${name}: { source: ${name}.wat }`)),
    ...Object.fromEntries(Object.entries(values).map(([name, value]) => [`${name}.wat`, answerWat(value)])),
  });
const built = async (service: string, values: Record<string, number>): Promise<BuildResult> => build(await project(service, values));

interface Answer {
  name: string;
  status: number;
  body: string;
  version: string | null;
  revision: string | null;
  node: string | null;
}

async function call(url: string, name: string): Promise<Answer> {
  try {
    const response = await fetch(`${url}/exec/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    const header = (key: string) => response.headers.get(key);
    const body = (await response.text()).trim();
    return {
      name,
      status: response.status,
      body,
      version: header('x-nano-version'),
      revision: header('x-nano-revision'),
      node: header('x-nano-node'),
    };
  } catch (error) {
    return { name, status: 0, body: String(error), version: null, revision: null, node: null };
  }
}

/** What a node serves for a function, in one comparable string: `200 v2 7`, or `404`. */
const served = async (url: string, name: string) => {
  const answer = await call(url, name);
  return answer.status === 200 ? `200 v${answer.version} ${answer.body}` : String(answer.status);
};
const servedEverywhere = (servers: RunningServer[], name: string) => Promise.all(servers.map((server) => served(server.url, name)));

/** `loops` concurrent callers, caller i at targets[i % targets.length], each alternating `names`, until `stop()`. */
async function load(targets: string[], names: string[], answers: Answer[], stop: () => boolean, loops = 8): Promise<void> {
  await Promise.all(
    Array.from({ length: loops }, async (_, caller) => {
      for (let n = 0; !stop(); n++) answers.push(await call(targets[caller % targets.length]!, names[n % names.length]!));
    }),
  );
}

/** Plan and upload what is missing, both through `url`; the deployment's id, to commit anywhere. */
async function staged(url: string, build: BuildResult): Promise<string> {
  const planned = await plan(url, deployRequest(build));
  expect(planned.status).toBe(200);
  const { id, missing: lacking } = (await planned.json()) as DeployPlan;
  for (const sha256 of lacking) {
    const fn = build.manifest.functions.find((item) => item.sha256 === sha256)!;
    expect((await upload(url, sha256, build.artifacts.get(fn.name)!)).status).toBe(201);
  }
  return id;
}

const control = (url: string, method: string, path: string, body?: unknown) =>
  fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...authHeaders() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

if (missing !== undefined && !skipped) {
  describe('three nano server nodes on one Redis registry', () => {
    it('needs redis-server and nginx', () => {
      throw new Error(`${missing}. Set NANO_SKIP_CLUSTER=1 to skip the cluster suite.`);
    });
  });
}

describe.skipIf(missing !== undefined)(
  skipped ? `cluster suite skipped: ${missing} (NANO_SKIP_CLUSTER=1)` : 'three nano server nodes on one Redis registry',
  () => {
    let redis: RunningRedis;
    let registry: string;
    let nodes: RunningServer[];
    let a: RunningServer, b: RunningServer, c: RunningServer;
    let nginx: RunningNginx;

    beforeAll(async () => {
      redis = await startRedis();
      registry = redis.url();
      nodes = await Promise.all(['n0', 'n1', 'n2'].map((id) => startNode(registry, id)));
      [a, b, c] = nodes as [RunningServer, RunningServer, RunningServer];
      nginx = await startNginx(upstreamLines(nodes.map((node) => node.url)));
    });
    // A node's stderr (a crash, a warning) is shown with the case that failed.
    beforeEach(({ onTestFailed }) =>
      onTestFailed(() => {
        for (const node of nodes) if (node.process.stderr() !== '') console.log(`${node.url} stderr:\n${node.process.stderr()}`);
      }),
    );
    afterAll(async () => {
      await stopAllNginx();
      await killStrayProcesses();
      await stopAllRedis();
      await removeTempProjects();
    });

    it('serves a deploy made through one node on every node by the time its commit answers', async () => {
      const { committed } = await deploy(a.url, await built('s1', { c1f: 1 }));
      expect(committed.convergence).toMatchObject({ revision: committed.revision, nodes: 3, converged: 3, lagging: [] });
      // Converged means applied: no polling, B and C serve it from the moment the commit answers.
      expect(await servedEverywhere([b, c], 'c1f')).toEqual(['200 v1 1', '200 v1 1']);
      expect((await call(c.url, 'c1f')).revision).toBe(String(committed.revision));

      const cli = startCli(['deploy', '--url', a.url], { cwd: await project('s1', { c1f: 2 }), env: { NANO_TOKEN: TOKEN } });
      expect(await cli.exited, cli.stderr()).toBe(0);
      expect(cli.stdout()).toMatch(/live on 3\/3 nodes in \d+ ms/);
      expect(await servedEverywhere(nodes, 'c1f')).toEqual(['200 v2 2', '200 v2 2', '200 v2 2']);
    });

    it('never answers with a mix of two revisions while 10 deploys land under load', async () => {
      // f and g change together: at every revision both return the number of the deploy that made it.
      const builds = await Promise.all(Array.from({ length: 11 }, (_, k) => built('s2', { c2f: k, c2g: k })));
      const holds: { revision: number; k: number }[] = [];
      const first = await deploy(a.url, builds[0]!);
      holds.push({ revision: first.committed.revision!, k: 0 });

      const answers: Answer[] = [];
      let deploying = true;
      const running = load(
        [a.url, b.url, c.url, nginx.url],
        ['c2f', 'c2g'],
        answers,
        () => (!deploying && answers.length >= 2000) || answers.length >= 20_000,
      );
      try {
        for (let k = 1; k <= 10; k++) {
          const { committed } = await deploy(nodes[k % 3]!.url, builds[k]!);
          holds.push({ revision: committed.revision!, k });
          // Counted, not timed: every node answers at this revision a few times before the next deploy.
          for (const node of ['n0', 'n1', 'n2']) {
            await expect
              .poll(() => answers.filter((answer) => answer.node === node && Number(answer.revision) === committed.revision).length, {
                timeout: 10_000,
              })
              .toBeGreaterThanOrEqual(3);
          }
        }
      } finally {
        deploying = false;
        await running;
      }

      const failed = answers.filter((answer) => answer.status !== 200);
      const holdsAt = (revision: number) => holds.filter((hold) => hold.revision <= revision).at(-1)?.k;
      const mixed = answers.filter((answer) => answer.status === 200 && answer.body !== String(holdsAt(Number(answer.revision))));
      const revisions = new Set(answers.map((answer) => answer.revision));
      console.log(
        `10 deploys under load: ${answers.length} requests at ${revisions.size} revisions, ${failed.length} failed, ${mixed.length} mixed`,
      );
      expect(answers.length).toBeGreaterThanOrEqual(2000);
      expect(failed).toEqual([]);
      expect(mixed.slice(0, 10)).toEqual([]);
      for (const { revision } of holds.slice(1)) {
        for (const name of ['c2f', 'c2g']) {
          expect(
            answers.some((answer) => answer.name === name && Number(answer.revision) === revision),
            `${name} @${revision}`,
          ).toBe(true);
        }
      }
    });

    it('plans on one node, uploads to another and commits on a third; a deployment commits once', async () => {
      const first = await built('s3', { c3f: 301 });
      const planned = await plan(a.url, deployRequest(first));
      const { id, missing: lacking } = (await planned.json()) as DeployPlan;
      expect(lacking).toEqual([first.manifest.functions[0]!.sha256]);
      expect((await upload(b.url, lacking[0]!, first.artifacts.get('c3f')!)).status).toBe(201);
      const committed = await commit(c.url, id);
      expect(committed.status).toBe(200);
      expect(await committed.json()).toMatchObject({ functions: [{ name: 'c3f', version: 1 }], convergence: { nodes: 3, converged: 3 } });
      expect(await servedEverywhere(nodes, 'c3f')).toEqual(['200 v1 301', '200 v1 301', '200 v1 301']);

      const again = await commit(a.url, id);
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ error: { code: 'NotFound' } });

      // Two nodes commit one deployment at once: one of them does.
      const second = await staged(c.url, await built('s3', { c3f: 302 }));
      const racing = await Promise.all([commit(a.url, second), commit(b.url, second)]);
      expect(racing.map((response) => response.status).sort()).toEqual([200, 404]);
      expect(await servedEverywhere(nodes, 'c3f')).toEqual(['200 v2 302', '200 v2 302', '200 v2 302']);
      const versions = (await (await control(c.url, 'GET', '/functions/c3f/versions')).json()) as { versions: unknown[] };
      expect(versions.versions).toHaveLength(2);

      // The CLI through nginx: its plan, upload and commit land on whichever nodes nginx picks.
      const cli = startCli(['deploy', '--url', nginx.url], { cwd: await project('s3', { c3f: 303 }), env: { NANO_TOKEN: TOKEN } });
      expect(await cli.exited, cli.stderr()).toBe(0);
      expect(cli.stdout()).toMatch(/live on 3\/3 nodes/);
      expect(await servedEverywhere(nodes, 'c3f')).toEqual(['200 v3 303', '200 v3 303', '200 v3 303']);
    });

    it('lands deploys racing from two nodes, and every node ends at the same revision', async () => {
      const rounds = 4;
      const builds = await Promise.all(
        Array.from({ length: rounds }, async (_, i) => [await built('s4a', { c4a: i + 1 }), await built('s4b', { c4b: i + 1 })] as const),
      );
      const revisions: number[] = [];
      for (const [forA, forB] of builds) {
        const ids = [await staged(a.url, forA), await staged(b.url, forB)];
        // Both commits sent in the same tick: one of them meets a revision the other just made.
        const [onA, onB] = await Promise.all([commit(a.url, ids[0]!), commit(b.url, ids[1]!)]);
        for (const response of [onA!, onB!]) {
          expect(response.status).toBe(200);
          const body = (await response.json()) as DeployCommitted;
          expect(body.convergence).toMatchObject({ nodes: 3, converged: 3 });
          revisions.push(body.revision!);
        }
      }
      expect(new Set(revisions).size).toBe(2 * rounds);
      const last = Math.max(...revisions);
      for (const node of nodes) {
        const list = (await (await control(node.url, 'GET', '/healthz/nodes')).json()) as NodeList;
        expect(list.revision, list.self).toBe(last);
        expect(list.nodes.map((entry) => [entry.id, entry.revision])).toEqual([
          ['n0', last],
          ['n1', last],
          ['n2', last],
        ]);
      }
      expect(await servedEverywhere(nodes, 'c4a')).toEqual(Array(3).fill(`200 v${rounds} ${rounds}`));
      expect(await servedEverywhere(nodes, 'c4b')).toEqual(Array(3).fill(`200 v${rounds} ${rounds}`));
    });

    it('spreads a rollback and a remove like a deploy, and keeps numbering versions after a remove', async () => {
      await deploy(a.url, await built('s5', { c5f: 1 }));
      await deploy(a.url, await built('s5', { c5f: 2 }));
      expect(await servedEverywhere(nodes, 'c5f')).toEqual(['200 v2 2', '200 v2 2', '200 v2 2']);

      const rolled = await control(b.url, 'POST', '/functions/c5f/rollback', {});
      expect(rolled.status).toBe(200);
      expect(await rolled.json()).toMatchObject({
        name: 'c5f',
        from: 2,
        version: 1,
        convergence: { nodes: 3, converged: 3, lagging: [] },
      });
      expect(await servedEverywhere(nodes, 'c5f')).toEqual(['200 v1 1', '200 v1 1', '200 v1 1']);

      const removed = await control(c.url, 'DELETE', '/functions/c5f');
      expect(removed.status).toBe(200);
      expect(await removed.json()).toMatchObject({
        name: 'c5f',
        removed: true,
        convergence: { nodes: 3, converged: 3 },
      });
      expect(await servedEverywhere(nodes, 'c5f')).toEqual(['404', '404', '404']);

      const { committed } = await deploy(b.url, await built('s5', { c5f: 3 }));
      expect(committed.functions).toMatchObject([{ name: 'c5f', version: 3, change: 'created' }]);
      expect(await servedEverywhere(nodes, 'c5f')).toEqual(['200 v3 3', '200 v3 3', '200 v3 3']);
    });

    it('converges after the nodes lost their change messages (CLIENT KILL TYPE pubsub)', async () => {
      await deploy(a.url, await built('s6', { c6f: 1 }));
      for (const k of [2, 3]) {
        const id = await staged(a.url, await built('s6', { c6f: k }));
        // Every node's subscription is cut just before the commit publishes its revision.
        expect(Number(redis.cli('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(3);
        expect((await commit(a.url, id)).status).toBe(200);
      }
      for (const node of nodes) await expect.poll(() => served(node.url, 'c6f'), { timeout: 10_000 }).toBe('200 v3 3');
    });

    it('takes the registry from NANO_REGISTRY when --registry is left out', async () => {
      await deploy(b.url, await built('s11', { c11f: 11 }));
      const fromEnv = await startServer({ args: ['--node-id', 'n3'], env: { NANO_REGISTRY: registry } });
      expect(fromEnv.process.stdout()).toMatch(/node n3/);
      expect(await served(fromEnv.url, 'c11f')).toBe('200 v1 11');
      const list = (await (await control(a.url, 'GET', '/healthz/nodes')).json()) as NodeList;
      // Listed with its address from the moment it serves (not only after its first heartbeat).
      expect(list.nodes.map((node) => [node.id, node.url])).toEqual([...nodes, fromEnv].map((node, i) => [`n${i}`, node.url]));
      // A graceful stop leaves the registry's node list, so the other cases' convergence stays 3/3.
      expect(await fromEnv.process.stop('SIGTERM')).toBe(0);
    });
  },
);
