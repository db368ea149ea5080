// Throughput: (a) bare Hono, (b) nano /exec/answer, (c) the seed's compile-per-request pool, measured in
// interleaved rounds (a, b, c, a, b, c, ...) so drift hits all three alike. Ratios per round, then medians.
import { measureInterleaved, perRoundRatio, serverRows } from '../lib/interleaved.js';
import { median } from '../lib/stats.js';

export const name = 'throughput';
export const description = 'req/s, p50, p99 of GET /exec/answer: bare Hono vs nano vs seed baseline';

const ORDER = ['bare', 'nano', 'seed'];
const SHORT = { bare: 'a', nano: 'b', seed: 'c' };

export async function run(ctx) {
  const servers = Object.fromEntries(await Promise.all(ORDER.map(async (k) => [k, await ctx.server(k)])));
  const url = (k) => servers[k].url('/exec/answer');

  // prime: nano's answer went cold (cacheTtl 1 s) while the others ran.
  const results = await measureInterleaved(ctx, { order: ORDER, servers, url, prime: true, cpu: true });
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
  rows.push(ratio('nano', 'bare', { op: '>=', value: 0.6 }));
  rows.push(ratio('nano', 'seed', { op: '>=', value: 3 }));
  // nano cannot outrun the bare stack, so a/c bounds b/c from above (informational).
  rows.push(ratio('bare', 'seed'));
  // Less sensitive to the load generator and to other load on the machine than req/s: CPU the server
  // process (all its threads) spent per answer. Informational.
  if (results.nano.every((x) => Number.isFinite(x.cpuMsPerK))) {
    for (const y of ['bare', 'seed']) {
      const per = perRoundRatio(results, 'nano', y, 'cpuMsPerK');
      rows.push({ scenario: name, metric: `server CPU per req b/${SHORT[y]}`, value: median(per), unit: '×', rounds: per });
    }
  }
  return rows;
}
