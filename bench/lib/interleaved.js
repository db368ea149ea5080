// What the throughput-style scenarios share: a warmup per server, then interleaved rounds (a, b, c, a, b,
// c, ...) so that drift on the machine hits every server alike, and the rows that report them.
import { median } from './stats.js';
import { startServer } from './servers.js';
import { targets } from './targets.js';

/**
 * Runs `rounds` rounds over `order`, each server warmed up first. `load` is extra options for ctx.load
 * (method, body, headers); `prime` re-warms a server before each of its runs (a function whose cacheTtl
 * lapsed while the others ran); `cpu` records server CPU per 1000 answers in `res.cpuMsPerK`. With
 * `fresh`, every run gets a server process of its own, started, warmed up, measured and stopped, so no
 * run inherits another's heap, JIT state or leftovers (`servers` then only names them).
 */
export async function measureInterleaved(ctx, { order, servers, url, load = {}, prime = false, cpu = false, fresh = false }) {
  const { rounds, warmup } = ctx.settings;
  const warm = async (k, server) => {
    ctx.log(`warmup ${server.label} ${warmup} s`);
    await ctx.load({ url: url(k, server), ...load, durationS: warmup });
  };
  if (!fresh) for (const k of order) await warm(k, servers[k]);
  const results = Object.fromEntries(order.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const k of order) {
      const server = fresh ? await startServer(targets[k]()) : servers[k];
      try {
        if (fresh) await warm(k, server);
        if (prime) await ctx.prime(url(k, server));
        const cpu0 = cpu ? server.cpuMs() : 0;
        const res = await ctx.load({ url: url(k, server), ...load });
        if (cpu) res.cpuMsPerK = ((server.cpuMs() - cpu0) / res.ok2xx) * 1000;
        results[k].push(res);
        ctx.log(
          `round ${r}/${rounds} ${server.label}: ${Math.round(res.rps)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms${res.non2xx || res.errors ? `, ${res.non2xx} non-2xx, ${res.errors} errors` : ''}`,
        );
      } finally {
        if (fresh) await server.stop();
      }
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
