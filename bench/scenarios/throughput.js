// Throughput: (a) bare Hono, (b) nano /exec/answer, (m) nano's function with a 1-page memory and a data
// segment, (b0) nano with every call on a worker (--inline-budget 0), (c) the seed's compile-per-request
// pool, measured in interleaved rounds (a, b, m, b0, c, a, ...) on a fresh server process per run, so drift
// hits all alike. Ratios per round, then medians; server CPU per request beside each ratio.
import { measureInterleaved, perRoundRatio, serverRows } from '../lib/interleaved.js';
import { median } from '../lib/stats.js';

export const name = 'throughput';
export const description = 'req/s, p50, p99 of GET /exec/answer and a memory function: bare Hono vs nano vs seed baseline';

const ORDER = ['bare', 'nano', 'nano-memory', 'nano-workers', 'seed'];
const SHORT = { bare: 'a', nano: 'b', 'nano-memory': 'm', 'nano-workers': 'b0', seed: 'c' };
const PATH = { 'nano-memory': '/exec/counter' };

export async function run(ctx) {
  const servers = Object.fromEntries(await Promise.all(ORDER.map(async (k) => [k, await ctx.server(k)])));
  const url = (k, server = servers[k]) => server.url(PATH[k] ?? '/exec/answer');

  // prime: a cold start (the first call compiles) is cold-start's to measure, not throughput's.
  const results = await measureInterleaved(ctx, { order: ORDER, servers, url, prime: true, cpu: true, fresh: true });
  const rows = serverRows(name, ORDER, servers, results);
  const ratio = (x, y, target) => {
    const per = perRoundRatio(results, x, y);
    return {
      scenario: name,
      metric: `req/s ${SHORT[x]}/${SHORT[y]} (${servers[x].label} / ${servers[y].label})`,
      value: median(per),
      unit: '×',
      rounds: per,
      target,
    };
  };
  const cpuRatio = (x, y) => {
    if (!results[x].every((r) => Number.isFinite(r.cpuMsPerK))) return [];
    const per = perRoundRatio(results, x, y, 'cpuMsPerK');
    return [{ scenario: name, metric: `server CPU per req ${SHORT[x]}/${SHORT[y]}`, value: median(per), unit: '×', rounds: per }];
  };
  rows.push(ratio('nano', 'bare', { op: '>=', value: 0.8 }), ...cpuRatio('nano', 'bare'));
  rows.push(ratio('nano-memory', 'bare', { op: '>=', value: 0.7 }), ...cpuRatio('nano-memory', 'bare'));
  // Informational: the same calls, every one on a worker (what the main thread saves).
  rows.push(ratio('nano-workers', 'bare'), ...cpuRatio('nano-workers', 'bare'));
  rows.push(ratio('nano', 'seed', { op: '>=', value: 3 }), ...cpuRatio('nano', 'seed'));
  // nano cannot outrun the bare stack, so a/c bounds b/c from above (informational).
  rows.push(ratio('bare', 'seed'));
  return rows;
}
