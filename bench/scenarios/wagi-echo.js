// WAGI echo: a 1 KiB POST body echoed by (a) a bare Hono route and (w) nano's wagi echo function (the
// `nano init --template wagi` template: CGI over WASI, the body through stdin and stdout), in interleaved
// rounds (a, w, a, w, ...). The ratio w/a is the median of per-round ratios: what running the request as a
// fresh sandboxed WASI instance in a worker costs against answering it in the HTTP process itself.
import { median } from '../lib/stats.js';

export const name = 'wagi-echo';
export const description = 'req/s, p50, p99 of a 1 KiB POST echo: bare Hono vs a nano wagi function';

const ORDER = ['bare', 'nano-wagi'];
const PATH = { bare: '/echo', 'nano-wagi': '/exec/echo' };
// 1 KiB of printable bytes (the load generator sends a string body).
const BODY = Array.from({ length: 1024 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 94))).join('');
const HEADERS = { 'content-type': 'application/octet-stream' };

export async function run(ctx) {
  const { rounds, warmup } = ctx.settings;
  const servers = Object.fromEntries(await Promise.all(ORDER.map(async (k) => [k, await ctx.server(k)])));
  const url = (k) => servers[k].url(PATH[k]);

  for (const k of ORDER) {
    const res = await ctx.request(url(k), { method: 'POST', body: BODY, headers: HEADERS });
    if (res.status !== 200 || res.body !== BODY)
      throw new Error(`${servers[k].label} did not echo the body: ${res.status} ${res.body.slice(0, 100)}`);
    ctx.log(`warmup ${servers[k].label} ${warmup} s`);
    await ctx.load({ url: url(k), method: 'POST', body: BODY, headers: HEADERS, durationS: warmup });
  }

  const results = Object.fromEntries(ORDER.map((k) => [k, []]));
  for (let r = 1; r <= rounds; r++) {
    for (const k of ORDER) {
      const res = await ctx.load({ url: url(k), method: 'POST', body: BODY, headers: HEADERS });
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
    const label = servers[k].label;
    rows.push({
      scenario: name,
      metric: `${label} req/s`,
      value: median(rs.map((x) => x.rps)),
      unit: 'req/s',
      rounds: rs.map((x) => x.rps),
      note: bad ? `${bad} non-2xx/errors/timeouts` : '',
    });
    rows.push({ scenario: name, metric: `${label} p50`, value: median(rs.map((x) => x.p50)), unit: 'ms', rounds: rs.map((x) => x.p50) });
    rows.push({ scenario: name, metric: `${label} p99`, value: median(rs.map((x) => x.p99)), unit: 'ms', rounds: rs.map((x) => x.p99) });
  }
  const per = results['nano-wagi'].map((res, i) => res.rps / results.bare[i].rps);
  rows.push({ scenario: name, metric: 'req/s w/a (wagi echo / bare Hono echo)', value: median(per), unit: '×', rounds: per });
  return rows;
}
