// runLoad(): one measurement with the load generator (bench/lib/loadgen.js) in a child process.
import process from 'node:process';
import { setTimeout, clearTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import { spawnTracked, stopChild, waitForExit } from './processes.js';
import { assertLoopback } from './http.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));

/**
 * @param {{ url: string, connections?: number, durationS?: number, method?: string, rate?: number, body?: string,
 *   headers?: Record<string, string> }} spec
 * @returns {Promise<{ rps: number, p50: number, p90: number, p99: number, max: number, mean: number,
 *   ok2xx: number, non2xx: number, statusCodes: Record<string, number>, errors: number, timeouts: number, durationS: number }>}
 */
export async function runLoad(spec) {
  assertLoopback(spec.url);
  const child = spawnTracked(process.execPath, [LOADGEN, JSON.stringify(spec)]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // Bounded: the run lasts durationS; anything far beyond that is a hang.
  const limitMs = ((spec.durationS ?? 5) + 30) * 1000;
  let timer;
  const overrun = new Promise((resolve) => {
    timer = setTimeout(() => resolve('overrun'), limitMs);
  });
  const outcome = await Promise.race([waitForExit(child), overrun]);
  clearTimeout(timer);
  if (outcome === 'overrun') {
    await stopChild(child, { graceMs: 1000 });
    throw new Error(`load generator against ${spec.url} did not finish within ${limitMs} ms`);
  }
  if (outcome.code !== 0)
    throw new Error(`load generator against ${spec.url} failed (${outcome.code ?? outcome.signal}): ${stderr.trim()}`);
  const line = stdout.trim().split('\n').pop();
  return JSON.parse(line);
}
