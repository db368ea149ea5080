// Scale-out: three `nano server` nodes sharing a real redis-server registry, nginx in front of them with the
// shipped deploy/nginx/nano.conf.template (bench/lib/cluster.js).
//
// 1. Convergence. One cluster (no nginx: deploys go to node A, and the bench asks each node directly).
//    20 deploys through node A, each changing the module of one function (`_start` returns 1001, 1002, …:
//    a new sha256, a new version). For each, the time from sending the commit until every node serves the
//    new version: one poller per node, each on its own keep-alive connection, sending the next
//    GET /exec/answer as soon as the previous one answered, until x-nano-version is the new version (the
//    body is checked too). Beside it, the commit's own convergence.ms (the server's wait for every node's
//    ack; the commit answers after it). Plan and upload happen before the clock starts. Then 20 more
//    deploys with nobody calling the nodes (commit round trip and convergence.ms only): the polling is
//    itself traffic, and the two sets show what serving calls does to convergence.
// 2. Throughput. GET /exec/answer with wrk (-t1 -c16) through nginx over the 3 nodes, vs one node on its
//    own file registry (the baseline), vs one node on a Redis registry without nginx (informational: the
//    registry alone). Interleaved rounds (one, one-redis, cluster, one, …), every round on fresh processes
//    (Redis, nodes, nginx started, the function deployed, a wrk warmup, the measured run, all stopped).
//    Server CPU per call (/proc utime+stime, all threads) beside req/s: the nodes' sum, nginx (master and
//    worker) and Redis apart; Redis commands per 1000 calls (INFO stats) and each node's share of the calls
//    (its /stats/answer) during the measured run.
import os from 'node:os';
import process from 'node:process';
import { median } from '../lib/stats.js';
import { keepAliveAgent, request, sleep } from '../lib/http.js';
import { startNanoNode, startNginx, startRedis } from '../lib/cluster.js';
import { constantWasm, deploy, prepareDeploy } from '../lib/deploy.js';
import { missingWrk, runWrk } from '../lib/wrk.js';

export const name = 'scale-out';
export const description = '3 nodes on Redis behind nginx: deploy → served on all nodes (20 deploys); req/s, CPU/req vs one node';

const FN = 'answer';
const NODE_IDS = ['A', 'B', 'C'];
const DEPLOYS = 20;
const CONVERGENCE_TARGET_MS = 100;
const REST_MS = 50; // between deploys, not measured
const SERVED_TIMEOUT_MS = 10_000;
const WRK = { threads: 1, connections: 16 };
const ORDER = ['one', 'oneRedis', 'cluster'];
const LABEL = {
  one: '1 node (file registry), direct',
  oneRedis: '1 node on Redis, direct',
  cluster: '3 nodes on Redis behind nginx',
};

const elapsedMs = (from, to = process.hrtime.bigint()) => Number(to - from) / 1e6;

/** Stops what a setup started, front to back (nginx, the nodes, Redis); unclean exits become notes. */
async function stopAll(ctx, { nginx, nodes = [], redis }) {
  const check = (label, exit) => {
    if (exit && (exit.killed || (exit.code !== 0 && exit.code !== null)))
      ctx.note(`${label} did not exit cleanly (code ${exit.code}, signal ${exit.signal}${exit.killed ? ', SIGKILLed' : ''})`);
  };
  if (nginx) check('nginx', await nginx.stop());
  const exits = await Promise.all(nodes.map((node) => node.stop()));
  nodes.forEach((node, i) => check(node.label, exits[i]));
  if (redis) check('redis-server', await redis.stop());
}

/**
 * Starts one setup: `one` (a node on its own file registry), `oneRedis` (Redis + one node) or `cluster`
 * (Redis + NODE_IDS nodes, and nginx in front unless `nginx: false`). Everything is stopped if a part fails.
 */
async function startSetup(ctx, kind, { nginx: withNginx = true } = {}) {
  const setup = { kind, label: LABEL[kind], nodes: [] };
  try {
    if (kind === 'one') {
      setup.nodes.push(await startNanoNode({ label: 'nano server (file registry)' }));
    } else {
      setup.redis = await startRedis();
      const registry = setup.redis.url('bench');
      const ids = kind === 'cluster' ? NODE_IDS : ['A'];
      const started = await Promise.allSettled(ids.map((id) => startNanoNode({ label: `nano server node ${id}`, registry, nodeId: id })));
      for (const s of started) if (s.status === 'fulfilled') setup.nodes.push(s.value);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      if (kind === 'cluster' && withNginx) setup.nginx = await startNginx(setup.nodes.map((n) => n.origin));
    }
    setup.entry = (path) => (setup.nginx ? setup.nginx.url(path) : setup.nodes[0].url(path));
    setup.stop = () => stopAll(ctx, setup);
    return setup;
  } catch (err) {
    await stopAll(ctx, setup);
    throw err;
  }
}

/** GET /stats/answer of one node (its own calls only) → invocations. */
async function invocations(node) {
  const res = await request(node.url(`/stats/${FN}`), { headers: { accept: 'application/json' } });
  if (res.status !== 200) throw new Error(`${node.label}: /stats/${FN} answered ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body).invocations;
}

/**
 * Polls `url` back to back on `agent` until it answers x-nano-version `expected` (with body `value`);
 * resolves with the hrtime of that answer. `onFirst` is called after the first answer (the poller runs).
 */
async function pollUntilServed(url, agent, { expected, value, onFirst }) {
  const deadline = Date.now() + SERVED_TIMEOUT_MS;
  for (;;) {
    const res = await request(url, { agent, timeoutMs: 2_000 });
    const at = process.hrtime.bigint();
    onFirst?.();
    onFirst = undefined;
    if (res.status !== 200) throw new Error(`${url} answered ${res.status} ${res.body.slice(0, 200)} during a deploy`);
    const version = Number(res.headers['x-nano-version']);
    if (version === expected) {
      if (res.body.trim() !== value)
        throw new Error(`${url}: x-nano-version ${version} answered ${JSON.stringify(res.body)}, expected ${value}`);
      return at;
    }
    if (version > expected) throw new Error(`${url}: x-nano-version ${version}, past the expected ${expected}`);
    if (Date.now() > deadline) throw new Error(`${url}: version ${expected} not served within ${SERVED_TIMEOUT_MS} ms (still ${version})`);
  }
}

async function convergence(ctx) {
  const setup = await startSetup(ctx, 'cluster', { nginx: false });
  const agents = setup.nodes.map(() => keepAliveAgent(1));
  const control = keepAliveAgent(1);
  try {
    const [a] = setup.nodes;
    const first = await deploy(a.origin, { name: FN, bytes: await constantWasm(1000), agent: control });
    let version = first.functions.find((f) => f.name === FN).version;
    await Promise.all(setup.nodes.map((n, k) => pollUntilServed(n.url(`/exec/${FN}`), agents[k], { expected: version, value: '1000' })));

    const served = []; // commit sent → the last node serves the new version
    const serverMs = []; // the commit's convergence.ms
    const commitMs = []; // commit sent → commit answered
    let fullyConverged = 0;
    const lagging = [];
    for (let i = 1; i <= DEPLOYS; i++) {
      await sleep(REST_MS);
      const value = String(1000 + i);
      const prepared = await prepareDeploy(a.origin, { name: FN, bytes: await constantWasm(value), agent: control });
      const expected = version + 1;
      // Every poller has had one answer (the old version) before the clock starts.
      let running = 0;
      let allRunning;
      const ready = new Promise((resolve) => (allRunning = resolve));
      const onFirst = () => ++running === setup.nodes.length && allRunning();
      const pollers = setup.nodes.map((n, k) => pollUntilServed(n.url(`/exec/${FN}`), agents[k], { expected, value, onFirst }));
      pollers.forEach((p) => p.catch(() => {})); // awaited below; no unhandled rejection meanwhile
      await Promise.race([ready, Promise.all(pollers)]);

      const t0 = process.hrtime.bigint();
      const committed = await prepared.commit();
      const tCommit = process.hrtime.bigint();
      const at = await Promise.all(pollers);

      const fn = committed.functions.find((f) => f.name === FN);
      if (fn?.version !== expected) throw new Error(`deploy ${i}: the commit made version ${fn?.version}, expected ${expected}`);
      version = expected;
      const perNode = at.map((t) => elapsedMs(t0, t));
      served.push(Math.max(...perNode));
      commitMs.push(elapsedMs(t0, tCommit));
      const c = committed.convergence;
      if (c) {
        serverMs.push(c.ms);
        if (c.converged === c.nodes && c.nodes === setup.nodes.length) fullyConverged++;
        if (c.lagging?.length) lagging.push(...c.lagging);
      }
      ctx.log(
        `deploy ${i}/${DEPLOYS} (v${version}, revision ${committed.revision ?? '?'}): served by ${NODE_IDS.map((id, k) => `${id} ${perNode[k].toFixed(1)}`).join(', ')} ms; commit answered ${commitMs.at(-1).toFixed(1)} ms; convergence ${c ? `${c.converged}/${c.nodes} in ${c.ms} ms` : 'absent'}`,
      );
    }
    // The same deploys with nobody calling the nodes: the commit answers once every node has applied it
    // (acked), so its round trip bounds "served everywhere" from above without any probe traffic. The
    // polling above is itself traffic (every call is a node's work, and its log entry goes to Redis).
    const quietCommit = [];
    const quietServer = [];
    for (let i = 1; i <= DEPLOYS; i++) {
      await sleep(REST_MS);
      const prepared = await prepareDeploy(a.origin, { name: FN, bytes: await constantWasm(2000 + i), agent: control });
      const t0 = process.hrtime.bigint();
      const committed = await prepared.commit();
      quietCommit.push(elapsedMs(t0));
      const c = committed.convergence;
      if (c) {
        quietServer.push(c.ms);
        if (c.converged === c.nodes && c.nodes === setup.nodes.length) fullyConverged++;
        if (c.lagging?.length) lagging.push(...c.lagging);
      }
      version = committed.functions.find((f) => f.name === FN).version;
    }
    const last = String(2000 + DEPLOYS);
    await Promise.all(setup.nodes.map((n, k) => pollUntilServed(n.url(`/exec/${FN}`), agents[k], { expected: version, value: last })));
    ctx.log(
      `without polling: commit answered in median ${median(quietCommit).toFixed(1)} ms, max ${Math.max(...quietCommit).toFixed(1)} ms; convergence.ms median ${median(quietServer).toFixed(1)} ms`,
    );

    const met = median(served) <= CONVERGENCE_TARGET_MS;
    ctx.log(
      `convergence: median ${median(served).toFixed(1)} ms, max ${Math.max(...served).toFixed(1)} ms; target median ≤ ${CONVERGENCE_TARGET_MS} ms ${met ? 'met' : 'NOT met'}`,
    );
    const rows = [
      {
        scenario: name,
        metric: `commit → served by all ${setup.nodes.length} nodes, median`,
        value: median(served),
        unit: 'ms',
        rounds: served,
        target: { op: '<=', value: CONVERGENCE_TARGET_MS },
        note: `${DEPLOYS} deploys through node A; each node polled back to back on its own connection until x-nano-version is the new one`,
      },
      { scenario: name, metric: `commit → served by all ${setup.nodes.length} nodes, max`, value: Math.max(...served), unit: 'ms' },
      {
        scenario: name,
        metric: 'commit → commit answered, median',
        value: median(commitMs),
        unit: 'ms',
        note: 'the commit waits for every node',
      },
    ];
    if (serverMs.length)
      rows.push(
        { scenario: name, metric: 'server convergence.ms, median', value: median(serverMs), unit: 'ms', rounds: serverMs },
        { scenario: name, metric: 'server convergence.ms, max', value: Math.max(...serverMs), unit: 'ms' },
      );
    rows.push(
      {
        scenario: name,
        metric: 'no polling: commit → commit answered, median',
        value: median(quietCommit),
        unit: 'ms',
        rounds: quietCommit,
        note: `${DEPLOYS} more deploys with no calls to the nodes; the commit answers once every node acked it`,
      },
      { scenario: name, metric: 'no polling: commit → commit answered, max', value: Math.max(...quietCommit), unit: 'ms' },
    );
    if (quietServer.length)
      rows.push({
        scenario: name,
        metric: 'no polling: server convergence.ms, median',
        value: median(quietServer),
        unit: 'ms',
        rounds: quietServer,
      });
    rows.push({
      scenario: name,
      metric: `commits answered converged ${setup.nodes.length}/${setup.nodes.length}`,
      value: `${fullyConverged}/${2 * DEPLOYS}`,
      target: { op: '==', value: `${2 * DEPLOYS}/${2 * DEPLOYS}` },
      note: [
        serverMs.length + quietServer.length < 2 * DEPLOYS
          ? `${2 * DEPLOYS - serverMs.length - quietServer.length} commits had no convergence field`
          : '',
        lagging.length ? `lagging: ${lagging.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    });
    return rows;
  } finally {
    for (const agent of [...agents, control]) agent.destroy();
    await setup.stop();
  }
}

/** One measured run of `kind` on fresh processes. */
async function throughputRound(ctx, kind) {
  const { warmup, duration } = ctx.settings;
  const setup = await startSetup(ctx, kind);
  try {
    const committed = await deploy(setup.nodes[0].origin, { name: FN, bytes: await constantWasm(42) });
    const c = committed.convergence;
    if (c && c.converged !== setup.nodes.length) throw new Error(`${setup.label}: the deploy converged on ${c.converged}/${c.nodes} nodes`);
    for (const node of setup.nodes) {
      const res = await request(node.url(`/exec/${FN}`));
      if (res.status !== 200 || res.body.trim() !== '42')
        throw new Error(`${node.label}: /exec/${FN} answered ${res.status} ${res.body.slice(0, 200)}`);
    }
    // Prime through the entry point; through nginx every node must have answered some.
    const agent = keepAliveAgent(1);
    const seen = new Set();
    try {
      for (let i = 0; i < 30; i++) {
        const res = await request(setup.entry(`/exec/${FN}`), { agent });
        if (res.status !== 200 || res.body.trim() !== '42')
          throw new Error(`${setup.label}: /exec/${FN} answered ${res.status} ${res.body.slice(0, 200)}`);
        seen.add(res.headers['x-nano-node']);
      }
    } finally {
      agent.destroy();
    }
    if (kind === 'cluster' && seen.size !== setup.nodes.length)
      throw new Error(`through nginx only ${[...seen].join(', ')} answered, of ${setup.nodes.length} nodes`);

    const url = setup.entry(`/exec/${FN}`);
    if (warmup > 0) await runWrk({ url, ...WRK, durationS: warmup });

    const calls0 = await Promise.all(setup.nodes.map(invocations));
    const commands0 = setup.redis?.commands();
    const cpu = () => ({
      nodes: setup.nodes.reduce((sum, n) => sum + n.cpuMs(), 0),
      nginx: setup.nginx?.cpuMs() ?? 0,
      redis: setup.redis?.cpuMs() ?? 0,
    });
    const cpu0 = cpu();
    const res = await runWrk({ url, ...WRK, durationS: duration });
    const cpu1 = cpu();
    // − 1: the INFO that read commands0
    const commands = setup.redis ? setup.redis.commands() - commands0 - 1 : 0;
    const calls = (await Promise.all(setup.nodes.map(invocations))).map((n, i) => n - calls0[i]);

    const perCall = (ms) => (ms * 1000) / res.ok2xx; // µs per answered call
    res.nodesUs = perCall(cpu1.nodes - cpu0.nodes);
    res.nginxUs = perCall(cpu1.nginx - cpu0.nginx);
    res.redisUs = perCall(cpu1.redis - cpu0.redis);
    res.allUs = res.nodesUs + res.nginxUs + res.redisUs;
    res.redisPerK = (commands / res.ok2xx) * 1000;
    const total = calls.reduce((s, n) => s + n, 0);
    res.share = calls.map((n) => (total ? (100 * n) / total : NaN));
    return res;
  } finally {
    await setup.stop();
  }
}

async function throughput(ctx) {
  const { rounds } = ctx.settings;
  const results = Object.fromEntries(ORDER.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const k of ORDER) {
      const res = await throughputRound(ctx, k);
      results[k].push(res);
      ctx.log(
        `round ${r}/${rounds} ${LABEL[k]}: ${Math.round(res.rps)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms, nano CPU ${res.nodesUs.toFixed(1)} µs/call` +
          (k === 'cluster'
            ? ` (+ nginx ${res.nginxUs.toFixed(1)}, redis ${res.redisUs.toFixed(1)}); ${res.redisPerK.toFixed(0)} Redis commands per 1k calls; calls per node ${res.share.map((s) => s.toFixed(0)).join('/')} %`
            : k === 'oneRedis'
              ? `; ${res.redisPerK.toFixed(0)} Redis commands per 1k calls`
              : '') +
          (res.non2xx || res.errors || res.timeouts ? `; ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts` : ''),
      );
    }
  }

  const rows = [];
  const med = (k, key) => median(results[k].map((x) => x[key]));
  const per = (k, key) => results[k].map((x) => x[key]);
  for (const k of ORDER) {
    const rs = results[k];
    const bad = rs.reduce((s, x) => s + x.non2xx + x.errors + x.timeouts, 0);
    rows.push(
      {
        scenario: name,
        metric: `${LABEL[k]} req/s`,
        value: med(k, 'rps'),
        unit: 'req/s',
        rounds: per(k, 'rps'),
        note: [`wrk -t${WRK.threads} -c${WRK.connections}`, bad ? `${bad} non-2xx/errors/timeouts` : ''].filter(Boolean).join('; '),
      },
      { scenario: name, metric: `${LABEL[k]} p50`, value: med(k, 'p50'), unit: 'ms', rounds: per(k, 'p50') },
      { scenario: name, metric: `${LABEL[k]} p99`, value: med(k, 'p99'), unit: 'ms', rounds: per(k, 'p99') },
      {
        scenario: name,
        metric: `${LABEL[k]} nano CPU per call`,
        value: med(k, 'nodesUs'),
        unit: 'µs',
        rounds: per(k, 'nodesUs'),
        note: k === 'cluster' ? 'the 3 nodes summed' : '',
      },
    );
    if (k === 'cluster')
      rows.push(
        { scenario: name, metric: `${LABEL[k]} nginx CPU per call`, value: med(k, 'nginxUs'), unit: 'µs', rounds: per(k, 'nginxUs') },
        {
          scenario: name,
          metric: `${LABEL[k]} redis-server CPU per call`,
          value: med(k, 'redisUs'),
          unit: 'µs',
          rounds: per(k, 'redisUs'),
        },
        {
          scenario: name,
          metric: `${LABEL[k]} calls per node`,
          value: NODE_IDS.map((id, i) => `${id} ${median(rs.map((x) => x.share[i])).toFixed(0)} %`).join(', '),
          note: "each node's /stats/answer over the measured run (medians)",
        },
      );
    if (k !== 'one')
      rows.push({
        scenario: name,
        metric: `${LABEL[k]} Redis commands per 1k calls`,
        value: med(k, 'redisPerK'),
        unit: '',
        rounds: per(k, 'redisPerK'),
        note: 'INFO stats total_commands_processed over the measured run (heartbeats included)',
      });
  }
  const ratio = (x, y, key, metric, extra = {}) => {
    const values = results[x].map((rx, i) => rx[key] / results[y][i][key]);
    return { scenario: name, metric, value: median(values), unit: '×', rounds: values, ...extra };
  };
  const cores = os.availableParallelism();
  rows.push(
    ratio('cluster', 'one', 'rps', 'req/s cluster / one node', {
      note: `${cores} cores shared by 3 nodes + nginx + Redis + wrk: load-balancer and shared-registry overhead, not scaling`,
    }),
    ratio('oneRedis', 'one', 'rps', 'req/s one node on Redis / on files'),
    ratio('cluster', 'one', 'nodesUs', 'nano CPU per call cluster / one node', { note: 'the nodes only' }),
    ratio('cluster', 'one', 'allUs', 'all server CPU per call cluster / one node', { note: 'nodes + nginx + redis-server' }),
  );
  ctx.note(
    `scale-out throughput: on this ${cores}-core machine the three nodes, nginx, Redis and wrk share ${cores} cores, so cluster/one-node says nothing about scaling on real hardware: it measures what the load balancer and the shared registry add to the hot path, per call (CPU per call beside req/s).`,
  );
  const redisPerK = med('cluster', 'redisPerK');
  ctx.note(
    redisPerK < 10
      ? `scale-out: nothing on the hot path touches Redis: ${redisPerK.toFixed(1)} Redis commands per 1000 calls during the cluster's load (heartbeats).`
      : `scale-out: the hot path does reach Redis: ${redisPerK.toFixed(0)} Redis commands per 1000 calls during the cluster's load (${med('oneRedis', 'redisPerK').toFixed(0)} on one node on Redis), so part of the cluster's cost per call is the shared registry.`,
  );
  return rows;
}

export async function run(ctx) {
  const missing = missingWrk();
  if (missing) throw new Error(`scale-out: ${missing}`);
  const rows = await convergence(ctx);
  rows.push(...(await throughput(ctx)));
  return rows;
}
