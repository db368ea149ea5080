/**
 * GET /healthz/ready in-process: 503 NotReady with Retry-After while starting
 * and draining, 200 while ready; /healthz (liveness) stays 200 throughout; an
 * app without a Readiness (`nano dev`) is ready whenever it answers.
 */
import { describe, expect, it } from 'vitest';
import { createApp, Readiness, RouteTable, type FunctionHost } from '../../src/server/index.js';

/** The readiness routes never call a function: a host with none is enough. */
const host = { list: () => [] } as unknown as FunctionHost;
const appWith = (readiness?: Readiness) => createApp({ host, routes: new RouteTable(), readiness });

describe('GET /healthz/ready', () => {
  it('answers 503 NotReady with Retry-After while starting, 200 once ready', async () => {
    const readiness = new Readiness();
    const app = appWith(readiness);
    const starting = await app.request('/healthz/ready');
    expect(starting.status).toBe(503);
    expect(starting.headers.get('retry-after')).toBe('1');
    expect(await starting.json()).toMatchObject({ error: { code: 'NotReady', message: expect.stringContaining('starting') } });
    readiness.ready();
    const ready = await app.request('/healthz/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('answers 503 once draining, for good, while /healthz stays 200', async () => {
    const readiness = new Readiness('ready');
    const app = appWith(readiness);
    readiness.draining();
    readiness.ready();
    const draining = await app.request('/healthz/ready');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ error: { code: 'NotReady', message: expect.stringContaining('draining') } });
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('is always ready without a Readiness (nano dev)', async () => {
    const ready = await appWith().request('/healthz/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
