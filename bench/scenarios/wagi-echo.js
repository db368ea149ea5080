// WAGI echo: a 1 KiB POST body echoed by (a) a bare Hono route and (w) nano's wagi echo function (the
// `nano init --template wagi` template: CGI over WASI, the body through stdin and stdout), in interleaved
// rounds (a, w, a, w, ...). The ratio w/a is the median of per-round ratios: what running the request as a
// fresh sandboxed WASI instance in a worker costs against answering it in the HTTP process itself.
import { measureInterleaved, perRoundRatio, serverRows } from '../lib/interleaved.js';
import { median } from '../lib/stats.js';

export const name = 'wagi-echo';
export const description = 'req/s, p50, p99 of a 1 KiB POST echo: bare Hono vs a nano wagi function';

const ORDER = ['bare', 'nano-wagi'];
const PATH = { bare: '/echo', 'nano-wagi': '/exec/echo' };
// 1 KiB of printable bytes (the load generator sends a string body).
const BODY = Array.from({ length: 1024 }, (_, i) => String.fromCharCode(33 + ((i * 7) % 94))).join('');
const HEADERS = { 'content-type': 'application/octet-stream' };

export async function run(ctx) {
  const servers = Object.fromEntries(await Promise.all(ORDER.map(async (k) => [k, await ctx.server(k)])));
  const url = (k, server = servers[k]) => server.url(PATH[k]);

  for (const k of ORDER) {
    const res = await ctx.request(url(k), { method: 'POST', body: BODY, headers: HEADERS });
    if (res.status !== 200 || res.body !== BODY)
      throw new Error(`${servers[k].label} did not echo the body: ${res.status} ${res.body.slice(0, 100)}`);
  }
  const results = await measureInterleaved(ctx, {
    order: ORDER,
    servers,
    url,
    load: { method: 'POST', body: BODY, headers: HEADERS },
    cpu: true,
    fresh: true,
  });
  const rows = serverRows(name, ORDER, servers, results);
  const per = perRoundRatio(results, 'nano-wagi', 'bare');
  rows.push({
    scenario: name,
    metric: 'req/s w/a (wagi echo / bare Hono echo)',
    value: median(per),
    unit: '×',
    rounds: per,
    target: { op: '>=', value: 0.7 },
  });
  if (results['nano-wagi'].every((r) => Number.isFinite(r.cpuMsPerK))) {
    const cpu = perRoundRatio(results, 'nano-wagi', 'bare', 'cpuMsPerK');
    rows.push({ scenario: name, metric: 'server CPU per req w/a', value: median(cpu), unit: '×', rounds: cpu });
  }
  return rows;
}
