// The servers the scenarios measure. Each is started on demand (ctx.server(key)) on 127.0.0.1, port 0.
// NANO_BENCH_CMD overrides how nano is started (a command line split on spaces, e.g. a stand-in while
// developing the bench); the real run drives `node dist/bin.js dev`.
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const node = process.execPath;
const ANSWER = { path: '/exec/answer', status: 200, body: '42' };

function nanoCommand() {
  const override = process.env.NANO_BENCH_CMD?.trim();
  if (override) {
    const [command, ...args] = override.split(/\s+/);
    return { command, args };
  }
  return { command: node, args: ['dist/bin.js', 'dev', '-c', 'examples/nano.yml', '--port', '0', '--host', '127.0.0.1'] };
}

export const targets = {
  bare: () => ({
    key: 'bare',
    label: '(a) bare Hono',
    command: node,
    args: ['bench/bare-hono.js', '--port', '0', '--host', '127.0.0.1'],
    check: ANSWER,
  }),
  nano: () => ({ key: 'nano', label: '(b) nano dev', ...nanoCommand(), check: ANSWER }),
  // A 1-page memory with a data segment (bench/memory-fn), served by nano dev; it answers 42 as (a) does.
  'nano-memory': () => ({
    key: 'nano-memory',
    label: '(m) nano dev, 1-page memory',
    command: node,
    args: ['dist/bin.js', 'dev', '-c', 'bench/memory-fn/nano.yml', '--port', '0', '--host', '127.0.0.1', '--no-watch'],
    check: { path: '/exec/counter', status: 200, body: '42' },
  }),
  // The same two functions with every call on a worker (--inline-budget 0): what the main thread saves.
  'nano-workers': () => ({
    key: 'nano-workers',
    label: '(b0) nano dev --inline-budget 0',
    command: node,
    args: ['dist/bin.js', 'dev', '-c', 'examples/nano.yml', '--port', '0', '--host', '127.0.0.1', '--no-watch', '--inline-budget', '0'],
    check: ANSWER,
  }),
  // The same `answer` with /metrics counting every call (the default), and with --no-metrics (metrics-cost).
  'nano-metrics': () => ({
    key: 'nano-metrics',
    label: '(on) nano dev, metrics on',
    command: node,
    args: ['dist/bin.js', 'dev', '-c', 'examples/nano.yml', '--port', '0', '--host', '127.0.0.1', '--no-watch'],
    check: ANSWER,
  }),
  'nano-no-metrics': () => ({
    key: 'nano-no-metrics',
    label: '(off) nano dev --no-metrics',
    command: node,
    args: ['dist/bin.js', 'dev', '-c', 'examples/nano.yml', '--port', '0', '--host', '127.0.0.1', '--no-watch', '--no-metrics'],
    check: ANSWER,
  }),
  // The wagi template's echo function (templates/wagi/functions/echo.wat), served by nano dev.
  'nano-wagi': () => ({
    key: 'nano-wagi',
    label: '(w) nano dev, wagi echo',
    command: node,
    args: ['dist/bin.js', 'dev', '-c', 'bench/wagi-echo/nano.yml', '--port', '0', '--host', '127.0.0.1', '--no-watch'],
    check: { path: '/exec/echo', status: 200, body: '' },
  }),
  seed: () => ({
    key: 'seed',
    label: '(c) seed baseline',
    command: node,
    args: ['bench/seed-baseline.js', '--port', '0', '--host', '127.0.0.1'],
    check: ANSWER,
  }),
};
