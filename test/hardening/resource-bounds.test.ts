/**
 * The resource test: a real `nano server` serves functions that stay within
 * their limits yet try to make the host allocate for them (tables, the WASI
 * shim's buffers, many small writes, memory at its limit, data segments, big
 * bodies), under concurrent load; the server's peak RSS (VmHWM, read once at
 * the end) must stay within a bound, every answer must be a result or a JSON
 * error, and the server must still answer a good request afterwards.
 *
 * The bound: RSS after start-up and a call of the modest functions, plus
 * 400 MiB. Measured on a 2-core machine with 2 workers: the peak rose 145–184
 * MiB above that baseline with the fixes (V8's young generations growing in
 * three isolates, bodies and outputs in flight, tables at the limit left for
 * the GC: ~1.8 MiB a call), and 3.4 GiB above it without them (one table.grow
 * was ~277 MiB, one fd_allocate ~512 MiB, 2M one-byte writes ~2M buffers).
 * Linux-only (/proc); the request count is bounded and nothing is timed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from '../helpers/build.js';
import { killStrayProcesses } from '../helpers/cli-process.js';
import { deploy, startServer, type RunningServer } from '../helpers/platform.js';
import { removeTempProjects, tempProject, yml } from '../helpers/project.js';
import { ANSWER_WAT } from '../helpers/wat.js';
import {
  dataSegmentWat,
  manyIovecsWat,
  MEMORY_HOG_WAT,
  resizeStdioWat,
  SINK_WAT,
  STDERR_FLOOD_WAT,
  STDOUT_DRIBBLE_WAT,
  TABLE_HOG_WAT,
} from './hostile-modules.js';

const MiB = 1024 * 1024;
const BOUND_ABOVE_BASELINE = 400 * MiB;
const IN_FLIGHT = 8;
/** The server's --max-body-size: bodies at the limit, in flight at once, are what the host must hold. */
const BODY_LIMIT = MiB;

const PROJECT = yml(
  'service: hostile',
  'functions:',
  '  answer: { source: functions/answer.wat }',
  '  tables: { source: functions/tables.wat, memory: 1 }',
  '  grower: { source: functions/grower.wat, memory: 16 }',
  '  segment: { source: functions/segment.wat, memory: 16 }',
  '  resize: { source: functions/resize.wat, abi: wagi, memory: 1 }',
  '  iovecs: { source: functions/iovecs.wat, abi: wagi, memory: 64 }',
  '  dribble: { source: functions/dribble.wat, abi: wagi, memory: 1 }',
  '  flood: { source: functions/flood.wat, abi: wagi, memory: 1, timeout: 2s }',
  '  sink: { source: functions/sink.wat, abi: wagi, memory: 1 }',
);

interface Shot {
  fn: string;
  body?: Uint8Array;
  /** Statuses this call may answer with (a result, or the JSON error its limits give). */
  statuses: number[];
}

/** How many of each call, in a fixed interleaved order. */
const MIX: [Shot, number][] = [
  [{ fn: 'tables', statuses: [200] }, 40],
  [{ fn: 'grower', statuses: [200] }, 40],
  [{ fn: 'segment', statuses: [200] }, 30],
  [{ fn: 'resize', statuses: [200] }, 60],
  [{ fn: 'iovecs', statuses: [200] }, 40],
  [{ fn: 'dribble', statuses: [200, 504] }, 8],
  [{ fn: 'flood', statuses: [500, 504] }, 8],
  [{ fn: 'sink', body: new Uint8Array(BODY_LIMIT), statuses: [200] }, 16],
  [{ fn: 'sink', body: new Uint8Array(BODY_LIMIT + 1), statuses: [413] }, 16],
];

function schedule(): Shot[] {
  const queues = MIX.map(([shot, count]) => Array.from({ length: count }, () => shot));
  const out: Shot[] = [];
  while (queues.some((queue) => queue.length > 0)) for (const queue of queues) if (queue.length > 0) out.push(queue.pop()!);
  return out;
}

/** A /proc/<pid>/status field in bytes (VmRSS: now; VmHWM: the peak so far). */
function memoryOf(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

async function call(url: string, shot: Shot): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/exec/${shot.fn}`, { method: 'POST', body: shot.body ?? null });
  return { status: response.status, text: await response.text() };
}

/** Runs every shot with at most `IN_FLIGHT` requests open at once. */
async function fire(url: string, shots: Shot[]): Promise<{ shot: Shot; status: number; text: string }[]> {
  const results: { shot: Shot; status: number; text: string }[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < shots.length) {
      const shot = shots[next++]!;
      results.push({ shot, ...(await call(url, shot)) });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return results;
}

let server: RunningServer | undefined;

beforeAll(async () => {
  const dir = await tempProject({
    'nano.yml': PROJECT,
    'functions/answer.wat': ANSWER_WAT,
    'functions/tables.wat': TABLE_HOG_WAT,
    'functions/grower.wat': MEMORY_HOG_WAT,
    'functions/segment.wat': dataSegmentWat(16),
    'functions/resize.wat': resizeStdioWat(512 * MiB),
    'functions/iovecs.wat': manyIovecsWat((64 * 64 * 1024 - 4096) / 8, 64),
    'functions/dribble.wat': STDOUT_DRIBBLE_WAT,
    'functions/flood.wat': STDERR_FLOOD_WAT,
    'functions/sink.wat': SINK_WAT,
  });
  server = await startServer({ args: ['--max-body-size', String(BODY_LIMIT)] });
  await deploy(server.url, await build(dir));
}, 120_000);

afterAll(async () => {
  await server?.process.stop('SIGTERM');
  await killStrayProcesses();
  await removeTempProjects();
});

describe('server memory under hostile functions', () => {
  it('stays within baseline + 400 MiB, answers every call properly, and still serves', async () => {
    const { url, process: child } = server!;
    const pid = child.child.pid!;
    // The baseline: every function compiled and run once (the modest ones).
    for (const fn of ['answer', 'grower', 'segment', 'sink']) expect((await call(url, { fn, statuses: [200] })).status).toBe(200);
    const baseline = memoryOf(pid, 'VmRSS');

    const results = await fire(url, schedule());

    const peak = memoryOf(pid, 'VmHWM');
    const report = `peak RSS ${(peak / MiB).toFixed(0)} MiB, baseline ${(baseline / MiB).toFixed(0)} MiB`;
    const tally = new Map<string, number>();
    for (const { shot, status } of results) tally.set(`${shot.fn} ${status}`, (tally.get(`${shot.fn} ${status}`) ?? 0) + 1);
    console.log(`resource-bounds: ${report}; answers: ${[...tally].map(([key, count]) => `${key} ×${count}`).join(', ')}`);
    for (const { shot, status, text } of results) {
      expect(shot.statuses, `${shot.fn} answered ${status}: ${text.slice(0, 200)}`).toContain(status);
      if (status >= 400) expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String) } });
    }
    expect(peak - baseline, report).toBeLessThan(BOUND_ABOVE_BASELINE);
    expect(await call(url, { fn: 'answer', statuses: [200] })).toEqual({ status: 200, text: '42' });
  }, 600_000);
});
