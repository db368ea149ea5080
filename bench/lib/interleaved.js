// What the throughput-style scenarios share: a warmup per server, then interleaved rounds (a, b, c, a, b,
// c, ...) so that drift on the machine hits every server alike, and the rows that report them.
import { median } from './stats.js';

/**
 * Warms each server up, then runs `rounds` rounds over `order`. `load` is extra options for ctx.load
 * (method, body, headers); `prime` re-warms a server before each of its runs (a function whose cacheTtl
 * lapsed while the others ran); `cpu` records server CPU per 1000 answers in `res.cpuMsPerK`.
 */
export async function measureInterleaved(ctx, { order, servers, url, load = {}, prime = false, cpu = false }) {
  const { rounds, warmup } = ctx.settings;
  for (const k of order) {
    ctx.log(`warmup ${servers[k].label} ${warmup} s`);
    await ctx.load({ url: url(k), ...load, durationS: warmup });
  }
  const results = Object.fromEntries(order.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const k of order) {
      if (prime) await ctx.prime(url(k));
      const cpu0 = cpu ? servers[k].cpuMs() : 0;
      const res = await ctx.load({ url: url(k), ...load });
      if (cpu) res.cpuMsPerK = ((servers[k].cpuMs() - cpu0) / res.ok2xx) * 1000;
      results[k].push(res);
      ctx.log(
        `round ${r}/${rounds} ${servers[k].label}: ${Math.round(res.rps)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms${res.non2xx || res.errors ? `, ${res.non2xx} non-2xx, ${res.errors} errors` : ''}`,
      );
    }
  }
  return results;
}

/** req/s, p50, p99 (and server CPU per 1k requests, when measured) of each server: medians over rounds. */
export function serverRows(scenario, order, servers, results) {
  const rows = [];
  for (const k of order) {
    const rs = results[k];
    const bad = rs.reduce((s, x) => s + x.non2xx + x.errors + x.timeouts, 0);
    const label = servers[k].label;
    rows.push({
      scenario,
      metric: `${label} req/s`,
      value: median(rs.map((x) => x.rps)),
      unit: 'req/s',
      rounds: rs.map((x) => x.rps),
      note: bad ? `${bad} non-2xx/errors/timeouts` : '',
    });
    rows.push({ scenario, metric: `${label} p50`, value: median(rs.map((x) => x.p50)), unit: 'ms', rounds: rs.map((x) => x.p50) });
    rows.push({ scenario, metric: `${label} p99`, value: median(rs.map((x) => x.p99)), unit: 'ms', rounds: rs.map((x) => x.p99) });
    const cpu = rs.map((x) => x.cpuMsPerK);
    if (cpu.every(Number.isFinite))
      rows.push({ scenario, metric: `${label} server CPU per 1k req`, value: median(cpu), unit: 'ms', rounds: cpu });
  }
  return rows;
}

/** x's req/s over y's, per round (each round pairs measurements taken seconds apart). */
export function perRoundRatio(results, x, y, field = 'rps') {
  return results[x].map((res, i) => res[field] / results[y][i][field]);
}
