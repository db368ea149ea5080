// Throughput: (a) bare Hono, (b) nano /exec/answer, (c) the seed's compile-per-request pool, measured in
// interleaved rounds (a, b, c, a, b, c, ...) so drift hits all three alike. Ratios per round, then medians.
import { median } from '../lib/stats.js';

export const name = 'throughput';
export const description = 'req/s, p50, p99 of GET /exec/answer: bare Hono vs nano vs seed baseline';

const ORDER = ['bare', 'nano', 'seed'];
const SHORT = { bare: 'a', nano: 'b', seed: 'c' };

export async function run(ctx) {
  const { rounds, warmup } = ctx.settings;
  const servers = Object.fromEntries(await Promise.all(ORDER.map(async (k) => [k, await ctx.server(k)])));
  const url = (k) => servers[k].url('/exec/answer');

  for (const k of ORDER) {
    ctx.log(`warmup ${servers[k].label} ${warmup} s`);
    await ctx.load({ url: url(k), durationS: warmup });
  }

  const results = Object.fromEntries(ORDER.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const k of ORDER) {
      await ctx.prime(url(k)); // nano's answer went cold (cacheTtl 1 s) while the others ran
      const cpu0 = servers[k].cpuMs();
      const res = await ctx.load({ url: url(k) });
      res.cpuMsPerK = ((servers[k].cpuMs() - cpu0) / res.ok2xx) * 1000; // server CPU per 1000 answers
      results[k].push(res);
      ctx.log(
        `round ${r}/${rounds} ${servers[k].label}: ${Math.round(res.rps)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms${res.non2xx || res.errors ? `, ${res.non2xx} non-2xx, ${res.errors} errors` : ''}`,
      );
    }
  }

  const rows = [];
  for (const k of ORDER) {
    const rs = results[k];
    const bad = rs.reduce((s, x) => s + x.non2xx + x.errors + x.timeouts, 0);
    const note = bad ? `${bad} non-2xx/errors/timeouts` : '';
    const label = servers[k].label;
    rows.push({
      scenario: name,
      metric: `${label} req/s`,
      value: median(rs.map((x) => x.rps)),
      unit: 'req/s',
      rounds: rs.map((x) => x.rps),
      note,
    });
    rows.push({ scenario: name, metric: `${label} p50`, value: median(rs.map((x) => x.p50)), unit: 'ms', rounds: rs.map((x) => x.p50) });
    rows.push({ scenario: name, metric: `${label} p99`, value: median(rs.map((x) => x.p99)), unit: 'ms', rounds: rs.map((x) => x.p99) });
    const cpu = rs.map((x) => x.cpuMsPerK);
    if (cpu.every(Number.isFinite))
      rows.push({ scenario: name, metric: `${label} server CPU per 1k req`, value: median(cpu), unit: 'ms', rounds: cpu });
  }
  const ratio = (x, y, target) => {
    const per = results[x].map((res, i) => res.rps / results[y][i].rps);
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
      const per = results.nano.map((res, i) => res.cpuMsPerK / results[y][i].cpuMsPerK);
      rows.push({ scenario: name, metric: `server CPU per req b/${SHORT[y]}`, value: median(per), unit: '×', rounds: per });
    }
  }
  return rows;
}
