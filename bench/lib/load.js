// runLoad(): one measurement with a load generator in a child process: wrk (bench/lib/wrk.js) for closed-loop
// runs when it is installed (a C program: it takes less of the 2 cores than a Node client and its figures drift
// less), else autocannon (bench/lib/loadgen.js), which also does the paced (open-loop) runs.
// NANO_BENCH_LOADGEN=autocannon forces autocannon.
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { collectBounded, spawnTracked } from './processes.js';
import { assertLoopback } from './http.js';
import { missingWrk, runWrk } from './wrk.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.js', import.meta.url));

/**
 * @param {{ url: string, connections?: number, durationS?: number, method?: string, rate?: number, body?: string,
 *   headers?: Record<string, string> }} spec
 * @returns {Promise<{ rps: number, p50: number, p90: number, p99: number, max: number, mean: number,
 *   ok2xx: number, non2xx: number, statusCodes: Record<string, number>, errors: number, timeouts: number, durationS: number }>}
 */
export async function runLoad(spec) {
  assertLoopback(spec.url);
  if (spec.rate === undefined && loadGenerator() === 'wrk') {
    const result = await runWrk(spec);
    return { ...result, mean: result.avg, statusCodes: {} };
  }
  const child = spawnTracked(process.execPath, [LOADGEN, JSON.stringify(spec)]);
  // Bounded: the run lasts durationS; anything far beyond that is a hang.
  const stdout = await collectBounded(child, ((spec.durationS ?? 5) + 30) * 1000, `load generator against ${spec.url}`);
  const line = stdout.trim().split('\n').pop();
  return JSON.parse(line);
}

let chosen;
/** 'wrk' or 'autocannon', decided once per run. */
export function loadGenerator() {
  chosen ??= process.env.NANO_BENCH_LOADGEN !== 'autocannon' && missingWrk() === undefined ? 'wrk' : 'autocannon';
  return chosen;
}
