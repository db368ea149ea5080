// (c) The seed article's execution design, as the baseline nano is measured against: a pool of worker
// threads (one per core); every request posts the module's BYTES to a worker, which compiles them
// (`new WebAssembly.Module`), instantiates, calls `_start` and posts the result back. It caches nothing itself
// (but V8 does, see below).
// It uses the same HTTP stack as nano (Hono on @hono/node-server) so only the execution design differs.
//
//   node bench/seed-baseline.js [--port 0] [--host 127.0.0.1] [--module <file.wat|file.wasm> --name <name>]
//
// By default it serves examples/functions/answer.wat at /exec/answer; --module serves another module at
// /exec/<name> (the throughput-large scenario's generated module). Note that V8 keeps a native module cache
// keyed by the bytes, so compiling the same bytes again is mostly a lookup; start node with
// --no-wasm-native-module-cache-enabled to make every request really compile.
import { URL, fileURLToPath } from 'node:url';
import { basename } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import wabtInit from 'wabt';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    module: { type: 'string' },
    name: { type: 'string' },
  },
});
if (values.name !== undefined && !/^[a-z][a-z0-9-]*$/.test(values.name)) throw new Error(`--name: invalid function name "${values.name}"`);

// The worker: compile + instantiate from bytes on every message, call _start, answer.
const workerSource = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, bytes }) => {
  try {
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, {});
    parentPort.postMessage({ id, result: String(instance.exports._start()) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err) });
  }
});
`;

const modulePath = values.module ?? fileURLToPath(new URL('../examples/functions/answer.wat', import.meta.url));
const functionName = values.name ?? (values.module ? basename(values.module).replace(/\.(wat|wasm)$/, '') : 'answer');
let moduleBytes;
if (modulePath.endsWith('.wasm')) {
  moduleBytes = new Uint8Array(readFileSync(modulePath));
} else {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat(basename(modulePath), readFileSync(modulePath, 'utf8'));
  parsed.validate();
  moduleBytes = new Uint8Array(parsed.toBinary({}).buffer);
  parsed.destroy();
}

const pending = new Map(); // id -> { resolve, reject }
let nextId = 0;
const workers = Array.from({ length: availableParallelism() }, () => {
  const worker = new Worker(workerSource, { eval: true });
  worker.on('message', ({ id, result, error }) => {
    const p = pending.get(id);
    pending.delete(id);
    if (error === undefined) p.resolve(result);
    else p.reject(new Error(error));
  });
  return worker;
});
let turn = 0;

function run(bytes) {
  const id = nextId++;
  const worker = workers[turn++ % workers.length];
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, bytes }); // structured clone: the bytes are copied per request, as in the seed
  });
}

const app = new Hono();
app.get(`/exec/${functionName}`, async (c) => {
  try {
    return c.text(await run(moduleBytes));
  } catch (err) {
    return c.text(String(err), 500);
  }
});
app.get('/healthz', (c) => c.text('ok'));

const server = serve({ fetch: app.fetch, port: Number(values.port), hostname: values.host }, (info) => {
  console.log(
    `seed-baseline listening on http://${values.host}:${info.port} (${workers.length} workers, /exec/${functionName}: ${moduleBytes.length} bytes)`,
  );
});

const shutdown = () => {
  for (const w of workers) void w.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
