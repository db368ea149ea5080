// runLoad(): one measurement with the load generator (bench/lib/loadgen.js) in a child process.
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { collectBounded, spawnTracked } from './processes.js';
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
  // Bounded: the run lasts durationS; anything far beyond that is a hang.
  const stdout = await collectBounded(child, ((spec.durationS ?? 5) + 30) * 1000, `load generator against ${spec.url}`);
  const line = stdout.trim().split('\n').pop();
  return JSON.parse(line);
}
