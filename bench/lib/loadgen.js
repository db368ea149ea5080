// The load generator, run as its own process (so it is scheduled apart from the bench's bookkeeping):
//   node bench/lib/loadgen.js '{"url":"http://127.0.0.1:1234/exec/answer","connections":32,"durationS":5}'
// prints one JSON line: { ok2xx, non2xx, statusCodes, errors, timeouts, durationS, rps, p50, p90, p99, max, mean }.
//
// Two modes:
// - closed loop (default): `connections` keep-alive connections, each sending its next request as soon as
//   the previous one answered: the server's capacity, and latency at saturation.
// - paced (`rate` req/s): requests are scheduled at a uniform rate whatever the server does (open loop), on
//   up to `connections` keep-alive sockets; latency counts from the scheduled send time, so a stall delays
//   every request scheduled during it (no coordinated omission). autocannon's own rate limit is not used:
//   it sends each connection's quota back to back at the start of every second.
//
// Why autocannon: wrk is not installed here and would need a C toolchain or apt; autocannon installs from npm
// with the project, runs on the same Node, and its HTTP client is lean enough to saturate these servers
// from one thread. We drive it through its API rather than its CLI because the CLI's latency histogram
// records whole milliseconds (lowestDiscernibleValue: 1), so at ~30k req/s it reports p50 = 0 ms; here every
// 2xx response's float latency (hrtime, ms) is kept and the percentiles are computed exactly.
import process from 'node:process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import autocannon from 'autocannon';
import { percentile } from './stats.js';
import { assertLoopback } from './http.js';

const spec = JSON.parse(process.argv[2] ?? '{}');
assertLoopback(spec.url);

let latencies = new Float64Array(1 << 16);
let count = 0;
const statusCodes = {};

function record(statusCode, ms) {
  statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
  if (statusCode < 200 || statusCode >= 300) return;
  if (count === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[count++] = ms;
}

function summarize({ durationS, errors, timeouts }) {
  const sample = latencies.subarray(0, count);
  const codes = Object.entries(statusCodes);
  const ok2xx = codes.filter(([c]) => c >= 200 && c < 300).reduce((s, [, n]) => s + n, 0);
  const non2xx = codes.reduce((s, [, n]) => s + n, 0) - ok2xx;
  return {
    url: spec.url,
    mode: spec.rate ? `paced ${spec.rate} req/s` : 'closed loop',
    connections: spec.connections,
    durationS,
    ok2xx,
    non2xx,
    statusCodes,
    errors,
    timeouts,
    rps: ok2xx / durationS,
    p50: percentile(sample, 50),
    p90: percentile(sample, 90),
    p99: percentile(sample, 99),
    max: percentile(sample, 100),
    mean: count ? sample.reduce((s, v) => s + v, 0) / count : NaN,
  };
}

const done = (summary) => process.stdout.write(JSON.stringify(summary) + '\n');
const fail = (err) => {
  process.stderr.write(`loadgen: ${err?.stack ?? err}\n`);
  process.exit(1);
};

const connections = spec.connections ?? 32;
const durationS = spec.durationS ?? 5;
const timeoutS = spec.timeoutS ?? 10;

if (spec.rate) paced().then(done, fail);
else closedLoop();

function closedLoop() {
  const instance = autocannon(
    {
      url: spec.url,
      method: spec.method ?? 'GET',
      connections,
      duration: durationS,
      timeout: timeoutS,
      // Optional request body (a string) and headers, sent with every request.
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(spec.headers === undefined ? {} : { headers: spec.headers }),
    },
    (err, result) => {
      if (err) fail(err);
      else done(summarize({ durationS: result.duration, errors: result.errors, timeouts: result.timeouts }));
    },
  );
  instance.on('response', (_client, statusCode, _bytes, ms) => record(statusCode, ms));
  process.once('SIGINT', () => instance.stop());
  process.once('SIGTERM', () => instance.stop());
}

async function paced() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const intervalMs = 1000 / spec.rate;
  // The first half second opens the sockets and warms this process's JIT; it is sent but not recorded.
  const warmupMs = 500;
  const total = Math.round((spec.rate * (durationS * 1000 + warmupMs)) / 1000);
  let errors = 0;
  let timeouts = 0;
  let stopped = false;
  process.once('SIGINT', () => (stopped = true));
  process.once('SIGTERM', () => (stopped = true));
  const inflight = new Set();
  const send = (scheduled) => {
    const p = new Promise((resolve) => {
      const req = http.request(
        spec.url,
        { method: spec.method ?? 'GET', headers: spec.headers, agent, timeout: timeoutS * 1000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (scheduled >= measureFrom) record(res.statusCode, performance.now() - scheduled);
            resolve();
          });
          res.on('error', () => {
            errors++;
            resolve();
          });
        },
      );
      let timedOut = false;
      req.on('timeout', () => {
        timedOut = true;
        timeouts++;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        if (!timedOut) errors++;
        resolve();
      });
      req.end(spec.body);
    });
    inflight.add(p);
    p.then(() => inflight.delete(p));
  };
  const start = performance.now();
  const measureFrom = start + warmupMs;
  let sent = 0;
  while (sent < total && !stopped) {
    const now = performance.now();
    // send everything that is due, each timed from the moment it was due
    while (sent < total && start + sent * intervalMs <= now) send(start + sent++ * intervalMs);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + sent * intervalMs - performance.now())));
  }
  await Promise.all(inflight);
  const elapsedS = (performance.now() - measureFrom) / 1000;
  agent.destroy();
  return summarize({ durationS: elapsedS, errors, timeouts });
}
