// Timeout isolation: p99 of nano's /exec/answer under load while /exec/stuck invocations (an infinite loop,
// 100 ms timeout → 504) run alongside it, vs the same load without them. Interleaved rounds
// (quiet, stuck, quiet, stuck, ...); ratio per round, then the median.
import { median, percentile } from '../lib/stats.js';
import { keepAliveAgent, request } from '../lib/http.js';

export const name = 'timeout-isolation';
export const description = 'nano: p99 of /exec/answer with stuck invocations timing out beside it vs without';

/**
 * Keeps `inflight` requests to `url` in flight until stop(): each loop sends the next one as soon as the
 * previous answered. Bounded by a deadline in case stop() is never reached.
 */
function startKeeper(url, inflight, deadlineMs) {
  const agent = keepAliveAgent(inflight);
  const deadline = Date.now() + deadlineMs;
  const seen = { statuses: {}, ms: [], errors: 0 };
  let stopped = false;
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      try {
        const res = await request(url, { agent, timeoutMs: 10_000 });
        seen.statuses[res.status] = (seen.statuses[res.status] ?? 0) + 1;
        seen.ms.push(res.ms);
      } catch {
        seen.errors++;
      }
    }
  };
  const loops = Array.from({ length: inflight }, loop);
  return {
    seen,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
      return seen;
    },
  };
}

export async function run(ctx) {
  const { rounds, warmup, duration, stuckInflight, connections, isolationRate } = ctx.settings;
  const nano = await ctx.server('nano');
  const answer = nano.url('/exec/answer');
  const stuck = nano.url('/exec/stuck');

  // stuck must really time out with 504, or the scenario measures nothing
  const probe = await request(stuck, { timeoutMs: 10_000 });
  if (probe.status !== 504)
    throw new Error(`timeout-isolation: ${stuck} answered ${probe.status} ${probe.body.slice(0, 200)}, expected 504`);
  ctx.log(`probe: /exec/stuck → 504 after ${probe.ms.toFixed(1)} ms`);

  ctx.log(`warmup ${nano.label} ${warmup} s`);
  await ctx.load({ url: answer, durationS: warmup });

  // Two loads: the throughput scenario's closed loop (saturation: a spinning `stuck` takes one of the 2
  // cores, so capacity loss shows up in p99 too), and a paced load well below capacity, where p99 shows
  // whether `answer` calls wait behind stuck ones.
  const modes = [{ key: 'closed', label: `closed loop, ${connections} conns`, spec: {} }];
  if (isolationRate > 0) modes.push({ key: 'paced', label: `paced ${isolationRate} req/s`, spec: { rate: isolationRate } });
  const quiet = Object.fromEntries(modes.map((m) => [m.key, []]));
  const loud = Object.fromEntries(modes.map((m) => [m.key, []]));
  const stuckMs = [];
  const stuckStatuses = {};
  let stuckErrors = 0;
  for (let r = 1; r <= rounds; r++) {
    for (const mode of modes) {
      await ctx.prime(answer);
      const q = await ctx.load({ url: answer, ...mode.spec });
      quiet[mode.key].push(q);
      ctx.log(`round ${r}/${rounds} ${mode.label} without stuck: ${Math.round(q.rps)} req/s, p99 ${q.p99.toFixed(2)} ms`);

      await ctx.prime(answer);
      const keeper = startKeeper(stuck, stuckInflight, (duration + 30) * 1000);
      const l = await ctx.load({ url: answer, ...mode.spec });
      const seen = await keeper.stop();
      loud[mode.key].push(l);
      stuckMs.push(...seen.ms);
      for (const [status, n] of Object.entries(seen.statuses)) stuckStatuses[status] = (stuckStatuses[status] ?? 0) + n;
      stuckErrors += seen.errors;
      ctx.log(
        `round ${r}/${rounds} ${mode.label} with ${stuckInflight} stuck in flight: ${Math.round(l.rps)} req/s, p99 ${l.p99.toFixed(2)} ms; stuck answered ${JSON.stringify(seen.statuses)}${seen.errors ? `, ${seen.errors} errors` : ''}`,
      );
    }
  }

  const bad = (rs) => rs.reduce((s, x) => s + x.non2xx + x.errors + x.timeouts, 0);
  const badNote = (rs) => (bad(rs) ? `${bad(rs)} non-2xx/errors/timeouts on answer` : '');
  const rows = [];
  for (const mode of modes) {
    const q = quiet[mode.key];
    const l = loud[mode.key];
    const ratios = q.map((x, i) => l[i].p99 / x.p99);
    rows.push(
      {
        scenario: name,
        metric: `${mode.label}: answer p99 without stuck`,
        value: median(q.map((x) => x.p99)),
        unit: 'ms',
        rounds: q.map((x) => x.p99),
        note: badNote(q),
      },
      {
        scenario: name,
        metric: `${mode.label}: answer p99 with ${stuckInflight} stuck in flight`,
        value: median(l.map((x) => x.p99)),
        unit: 'ms',
        rounds: l.map((x) => x.p99),
        note: badNote(l),
      },
      {
        scenario: name,
        metric: `${mode.label}: answer p99 with / without stuck`,
        value: median(ratios),
        unit: '×',
        rounds: ratios,
        target: { op: '<=', value: 2 },
      },
    );
    if (mode.key === 'closed') {
      const rps = q.map((x, i) => l[i].rps / x.rps);
      rows.push({ scenario: name, metric: `${mode.label}: answer req/s with / without stuck`, value: median(rps), unit: '×', rounds: rps });
    }
  }
  const total504 = stuckStatuses[504] ?? 0;
  const totalStuck = Object.values(stuckStatuses).reduce((s, n) => s + n, 0);
  rows.push({
    scenario: name,
    metric: 'stuck answered 504',
    value: `${total504}/${totalStuck}`,
    note: `${JSON.stringify(stuckStatuses)}${stuckErrors ? `, ${stuckErrors} network errors` : ''}; 504 latency p50 ${median(stuckMs).toFixed(1)} ms, p99 ${percentile(stuckMs, 99).toFixed(1)} ms, max ${Math.max(...stuckMs).toFixed(1)} ms (timeout 100 ms)`,
  });
  return rows;
}
