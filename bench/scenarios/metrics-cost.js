// Metrics cost: GET /exec/answer on nano dev counting every call for /metrics (the default) vs the same
// server with --no-metrics, in interleaved rounds (on, off, on, off, ...) on a fresh server process per
// run. At least 5 rounds: the difference looked for is a few percent, within the noise of one round.
// Reported: req/s on/off and server CPU per request on/off (target: on costs at most 5 % either way).
// Before the rounds, one check that the "on" server counts what it answers: the rounds must measure the
// counting, not a server that forgot to count.
import { measureInterleaved, perRoundRatio, serverRows } from '../lib/interleaved.js';
import { startServer } from '../lib/servers.js';
import { targets } from '../lib/targets.js';
import { median } from '../lib/stats.js';

export const name = 'metrics-cost';
export const description = 'nano dev GET /exec/answer with metrics on vs --no-metrics: req/s and server CPU per request';

const ORDER = ['nano-metrics', 'nano-no-metrics'];
const MIN_ROUNDS = 5;

/** The ok calls of `answer` the server's /metrics reports. */
async function countedCalls(ctx, server) {
  const res = await ctx.request(server.url('/metrics'));
  if (res.status !== 200) throw new Error(`metrics-cost: GET /metrics answered ${res.status}`);
  const line = res.body
    .split('\n')
    .find((text) => text.startsWith('nano_invocations_total{') && text.includes('function="answer"') && text.includes('outcome="ok"'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function run(ctx) {
  const check = await startServer(targets['nano-metrics']());
  try {
    const before = await countedCalls(ctx, check);
    await ctx.prime(check.url('/exec/answer'), { n: 50 });
    const after = await countedCalls(ctx, check);
    if (after - before !== 50) throw new Error(`metrics-cost: 50 calls sent, /metrics counted ${after - before}`);
    ctx.log(`check: /metrics counted the 50 calls sent`);
  } finally {
    await check.stop();
  }

  const servers = Object.fromEntries(ORDER.map((k) => [k, targets[k]()]));
  const rounds = Math.max(MIN_ROUNDS, ctx.settings.rounds);
  const results = await measureInterleaved(
    { ...ctx, settings: { ...ctx.settings, rounds } },
    { order: ORDER, servers, url: (_k, server) => server.url('/exec/answer'), prime: true, cpu: true, fresh: true },
  );
  const rows = serverRows(name, ORDER, servers, results);
  const rps = perRoundRatio(results, 'nano-metrics', 'nano-no-metrics');
  rows.push({
    scenario: name,
    metric: 'req/s on/off (metrics on / --no-metrics)',
    value: median(rps),
    unit: '×',
    rounds: rps,
    target: { op: '>=', value: 0.95 },
  });
  if (ORDER.every((k) => results[k].every((r) => Number.isFinite(r.cpuMsPerK)))) {
    const cpu = perRoundRatio(results, 'nano-metrics', 'nano-no-metrics', 'cpuMsPerK');
    rows.push({
      scenario: name,
      metric: 'server CPU per req on/off',
      value: median(cpu),
      unit: '×',
      rounds: cpu,
      target: { op: '<=', value: 1.05 },
    });
  }
  return rows;
}
