// (a) The limit of the HTTP stack: a bare Hono app on @hono/node-server that answers "42" without running
// anything. Same stack as nano and the seed baseline, so the three differ only in how "42" is produced.
// POST /echo answers the request body (the baseline of the wagi-echo scenario).
//
//   node bench/bare-hono.js [--port 0] [--host 127.0.0.1]
import console from 'node:console';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });

const app = new Hono();
app.get('/exec/answer', (c) => c.text('42'));
app.get('/healthz', (c) => c.text('ok'));
// The wagi-echo scenario's baseline: the request body back, as bytes.
app.post('/echo', async (c) => c.body(await c.req.arrayBuffer(), 200, { 'content-type': 'application/octet-stream', 'x-echo': 'nano' }));

const server = serve({ fetch: app.fetch, port: Number(values.port), hostname: values.host }, (info) => {
  console.log(`bare-hono listening on http://${values.host}:${info.port}`);
});

const shutdown = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref(); // keep-alive clients may hold the server open
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
