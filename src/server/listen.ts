/**
 * Puts a Hono app on a real socket with @hono/node-server. Port 0 picks a free
 * port; the URL actually bound is returned, and `close()` ends open keep-alive
 * connections too, so a stopped server never holds the process open.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { NanoError } from '../errors.js';

export interface Listening {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function listen(app: Hono, options: { port: number; host: string }): Promise<Listening> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // Keep-alive sockets from load generators would otherwise outlive close().
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const hint =
        error.code === 'EADDRINUSE' ? 'another process uses that port: pass --port <n>, or --port 0 for any free port' : undefined;
      reject(
        new NanoError('ListenFailed', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, {
          value: options.port,
          hint,
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    host: address.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
