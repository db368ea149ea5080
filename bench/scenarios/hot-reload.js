// Hot reload: save-to-served latency of `nano dev`. 20 edits of answer.wat in a temp copy of examples/, each
// timed from just before the write to the first response carrying the new value, polling /exec/answer every
// few ms. The time includes the watcher's debounce (100 ms by default), the build and the swap. Between
// edits the editor rests, as a person would; the resting is not measured.
import process from 'node:process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile } from '../lib/stats.js';
import { keepAliveAgent, request, sleep } from '../lib/http.js';
import { startServer } from '../lib/servers.js';
import { ROOT } from '../lib/targets.js';

export const name = 'hot-reload';
export const description = 'nano dev: save → served latency over 20 edits of answer.wat (debounce included)';

const EDITS = 20;
const POLL_MS = 5;
const REST_MS = 250;
const SERVED_TIMEOUT_MS = 10_000;
const TARGET_MEDIAN_MS = 150;

const answerWat = (value) => `(module\n  (func (export "_start") (result i32)\n    i32.const ${value}\n    return))\n`;

export async function run(ctx) {
  const dir = mkdtempSync(join(tmpdir(), 'nano-bench-hot-reload-'));
  cpSync(join(ROOT, 'examples'), dir, { recursive: true, filter: (source) => !source.includes('.nano') });
  const source = join(dir, 'functions', 'answer.wat');
  const agent = keepAliveAgent(1);
  let server;
  try {
    server = await startServer({
      key: 'hot-reload',
      label: 'nano dev (watching)',
      command: process.execPath,
      args: ['dist/bin.js', 'dev', '-c', join(dir, 'nano.yml'), '--port', '0', '--host', '127.0.0.1'],
      cwd: ROOT,
      check: { path: '/exec/answer', status: 200, body: '42' },
    });
    const url = server.url('/exec/answer');
    await ctx.prime(url, { n: 5 });

    const samples = [];
    let lastVersion = Number((await request(url, { agent })).headers['x-nano-version']);
    let oneVersionEach = 0;
    for (let i = 1; i <= EDITS; i++) {
      await sleep(REST_MS);
      const value = String(1000 + i);
      const started = process.hrtime.bigint();
      writeFileSync(source, answerWat(value));
      const deadline = Date.now() + SERVED_TIMEOUT_MS;
      for (;;) {
        const res = await request(url, { agent, timeoutMs: 2_000 });
        if (res.status === 200 && res.body.trim() === value) {
          samples.push(Number(process.hrtime.bigint() - started) / 1e6);
          const version = Number(res.headers['x-nano-version']);
          if (version === lastVersion + 1) oneVersionEach++;
          lastVersion = version;
          break;
        }
        if (res.status !== 200) throw new Error(`hot-reload: ${url} answered ${res.status} ${res.body.slice(0, 200)} during a reload`);
        if (Date.now() > deadline) throw new Error(`hot-reload: edit ${i} (${value}) not served within ${SERVED_TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      ctx.log(`edit ${i}/${EDITS}: served in ${samples.at(-1).toFixed(1)} ms (v${lastVersion})`);
    }
    return [
      {
        scenario: name,
        metric: 'save → served, median',
        value: median(samples),
        unit: 'ms',
        rounds: samples,
        target: { op: '<=', value: TARGET_MEDIAN_MS },
        note: `debounce 100 ms included; polled every ${POLL_MS} ms`,
      },
      { scenario: name, metric: 'save → served, p90', value: percentile(samples, 90), unit: 'ms' },
      { scenario: name, metric: 'save → served, max', value: Math.max(...samples), unit: 'ms' },
      {
        scenario: name,
        metric: 'edits served as exactly the next version',
        value: `${oneVersionEach}/${EDITS}`,
        target: { op: '==', value: `${EDITS}/${EDITS}` },
      },
    ];
  } finally {
    agent.destroy();
    if (server) {
      const exit = await server.stop();
      if (exit.killed || (exit.code !== 0 && exit.code !== null))
        ctx.note(`nano dev (watching) did not exit cleanly on SIGINT (code ${exit.code})`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
