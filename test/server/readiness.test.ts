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
    const readiness = new Readiness({}, 'ready');
    const app = appWith(readiness);
    readiness.draining();
    readiness.ready();
    const draining = await app.request('/healthz/ready');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ error: { code: 'NotReady', message: expect.stringContaining('draining') } });
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('answers 503 while the node lags its registry beyond --max-lag, and 200 again once it caught up', async () => {
    let lag = 0;
    const readiness = new Readiness({ lagMs: () => lag, maxLagMs: 3000 }, 'ready');
    const app = appWith(readiness);
    lag = 3000;
    expect((await app.request('/healthz/ready')).status).toBe(200);
    lag = 3001;
    const lagging = await app.request('/healthz/ready');
    expect(lagging.status).toBe(503);
    expect(await lagging.json()).toMatchObject({ error: { code: 'NotReady', message: expect.stringContaining('lags the registry') } });
    lag = 0;
    expect((await app.request('/healthz/ready')).status).toBe(200);
    // Lag never makes a draining node ready, nor a starting one.
    readiness.draining();
    expect(await (await app.request('/healthz/ready')).json()).toMatchObject({ error: { message: expect.stringContaining('draining') } });
  });

  it('is always ready without a Readiness (nano dev)', async () => {
    const ready = await appWith().request('/healthz/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});
