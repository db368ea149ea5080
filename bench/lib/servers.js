// startServer(): run a server as a child process on port 0, learn its address from the
// `listening on http://127.0.0.1:<port>` line it prints, then poll until it answers. No fixed sleeps:
// every wait is for an event or a bounded poll.
import process from 'node:process';
import { setTimeout, clearTimeout } from 'node:timers';
import { spawnTracked, stopChild, waitForExit, hasExited } from './processes.js';
import { assertLoopback, request, sleep } from './http.js';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const LISTENING = /listening on (http:\/\/[^\s/]+)/;
const TAIL = 8_000; // characters of output kept for error messages

/**
 * @param {{ key: string, label: string, command: string, args: string[], cwd?: string, env?: object,
 *   readyPath?: string, check?: { path: string, status: number, body?: string }, startTimeoutMs?: number }} spec
 * @returns {Promise<{ key, label, origin, url(path): string, child, output(): string, stop(): Promise<object> }>}
 */
export async function startServer(spec) {
  const { key, label, command, args, cwd, env, readyPath = '/healthz', check, startTimeoutMs = 60_000 } = spec;
  const child = spawnTracked(command, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-TAIL);
  };
  child.stderr.on('data', keep);

  const describe = () => `${label} (${command} ${args.join(' ')})`;
  const deadline = Date.now() + startTimeoutMs;

  // 1. the listening line on stdout
  const origin = await new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`${describe()} printed no "listening on" line within ${startTimeoutMs} ms:\n${output}`)),
      startTimeoutMs,
    );
    const onData = (chunk) => {
      keep(chunk);
      if (buffered === null) return;
      buffered += chunk;
      const match = LISTENING.exec(buffered);
      if (match) {
        buffered = null;
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    waitForExit(child).then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${describe()} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  assertLoopback(origin);
  const url = (path) => origin + path;

  // 2. poll the readiness path until it answers 200 (bounded by the same deadline)
  let lastError;
  for (let attempt = 0; ; attempt++) {
    if (hasExited(child)) throw new Error(`${describe()} exited while starting:\n${output}`);
    try {
      const res = await request(url(readyPath), { timeoutMs: 2000 });
      if (res.status === 200) break;
      lastError = `status ${res.status}`;
    } catch (err) {
      lastError = err.message;
    }
    if (Date.now() > deadline) throw new Error(`${describe()} not ready at ${readyPath} within ${startTimeoutMs} ms (${lastError})`);
    await sleep(Math.min(20 * 2 ** attempt, 250)); // poll interval, not a fixed wait
  }

  // 3. a sanity check that it serves what we are about to measure
  if (check) {
    const res = await request(url(check.path));
    if (res.status !== check.status || (check.body !== undefined && res.body.trim() !== check.body)) {
      throw new Error(
        `${describe()}: GET ${check.path} answered ${res.status} ${JSON.stringify(res.body.slice(0, 200))}, expected ${check.status} ${JSON.stringify(check.body)}`,
      );
    }
  }

  return {
    key,
    label,
    origin,
    url,
    child,
    output: () => output,
    stop: () => stopChild(child),
    /** CPU time (user + system, all threads) the server process has used so far, in ms; NaN off Linux. */
    cpuMs: () => processCpuMs(child.pid),
  };
}

let ticksPerSecond;
export function processCpuMs(pid) {
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond; // #14 utime, #15 stime
  } catch {
    return NaN;
  }
}
