// runWrk(): one closed-loop load run with wrk (Debian's `wrk` package: C, epoll, one thread here) as a
// child process, its text report parsed. Used by the scale-out scenario, whose load goes through nginx:
// wrk is lean enough that the load generator takes less of the 2 cores than a Node one would.
//
//   wrk -t1 -c16 -d5s --latency --timeout 10s http://127.0.0.1:PORT/exec/answer
//
// → { rps, ok2xx, requests, non2xx, errors, timeouts, durationS, p50, p75, p90, p99 (ms), avg, max (ms) }.
// `rps` counts 2xx/3xx answers only (wrk's own Requests/sec counts every answer).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectBounded, spawnTracked } from './processes.js';
import { assertLoopback } from './http.js';

/** Why wrk cannot run here, or undefined when it can. */
export function missingWrk() {
  try {
    execFileSync('wrk', ['-v'], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    // `wrk -v` prints its version and exits 1; only a missing binary is a problem
    return err.code === 'ENOENT' ? 'the `wrk` binary is not on PATH (apt-get install wrk)' : undefined;
  }
}

const UNITS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** "512.34us" / "1.20ms" / "2.00s" → ms. */
function ms(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`wrk: cannot read the duration "${text}"`);
  return Number(match[1]) * UNITS[match[2]];
}

export function parseWrk(out) {
  const grab = (re, what) => {
    const match = re.exec(out);
    if (!match) throw new Error(`wrk: no ${what} in its output:\n${out}`);
    return match;
  };
  const [, requests, took] = grab(/(\d+) requests in ([\d.]+(?:us|ms|s|m))/, '"N requests in T"');
  const durationS = ms(took) / 1000;
  const latency = grab(/Latency\s+(\S+)\s+(\S+)\s+(\S+)/, 'latency line');
  const pct = (p) => ms(grab(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm'), `${p}% line`)[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0;
  const timeouts = socket ? Number(socket[4]) : 0;
  const ok2xx = Number(requests) - non2xx;
  return {
    requests: Number(requests),
    ok2xx,
    non2xx,
    errors,
    timeouts,
    durationS,
    rps: ok2xx / durationS,
    avg: ms(latency[1]),
    max: ms(latency[3]),
    p50: pct(50),
    p75: pct(75),
    p90: pct(90),
    p99: pct(99),
  };
}

/**
 * @param {{ url: string, threads?: number, connections?: number, durationS?: number, method?: string, body?: string,
 *   headers?: Record<string, string> }} spec
 */
export async function runWrk({ url, threads = 1, connections = 16, durationS = 5, method, body, headers }) {
  assertLoopback(url);
  const args = [`-t${threads}`, `-c${connections}`, `-d${durationS}s`, '--latency', '--timeout', '10s'];
  // wrk takes a request other than a plain GET from a Lua script.
  const dir = method || body || headers ? mkdtempSync(join(tmpdir(), 'nano-wrk-')) : undefined;
  if (dir) {
    const lines = [`wrk.method = ${JSON.stringify(method ?? 'GET')}`];
    if (body !== undefined) lines.push(`wrk.body = ${JSON.stringify(body)}`);
    for (const [key, value] of Object.entries(headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(key)}] = ${JSON.stringify(value)}`);
    writeFileSync(join(dir, 'request.lua'), `${lines.join('\n')}\n`);
    args.push('-s', join(dir, 'request.lua'));
  }
  args.push(url);
  try {
    const child = spawnTracked('wrk', args);
    // Bounded: the run lasts durationS; anything far beyond that is a hang.
    const stdout = await collectBounded(child, (durationS + 30) * 1000, `wrk against ${url}`);
    return parseWrk(stdout);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
