/**
 * `nano server` without the CLI: open the registry, load what it holds into a
 * fresh executor, and serve the data plane and the control plane on a socket.
 */
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { Hono } from 'hono';
import { createExecutor, type Executor, type ExecutorOptions } from '../runtime/index.js';
import { openRegistry } from '../registry/index.js';
import { NanoError } from '../errors.js';
import { createApp } from './app.js';
import type { Invocation } from './app-options.js';
import type { ControlActionObserver } from './control-action.js';
import { addControlPlane } from './control-plane.js';
import { ClientErrors } from './client-errors.js';
import { BodyBudget } from './body-budget.js';
import {
  DEFAULT_MAX_ARTIFACT_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_LAG_MS,
  defaultBodyBytesInFlight,
  type ConnectionLimits,
} from './limits.js';
import { listen } from './listen.js';
import { Platform } from './platform.js';
import { RouteTable } from './route-table.js';
import { addSeedRegister } from './seed-register.js';
import { Readiness } from './readiness.js';
import { drainServer, type DrainOptions } from './drain.js';
import type { DrainResult } from './connection-drain.js';

export interface PlatformServerOptions {
  /** The registry's folder; with a shared `registry`, this node's artifact cache. */
  dataDir: string;
  /** A registry URL (`redis://…`, `file:DIR`); default: the file registry in `dataDir`. */
  registry?: string;
  /** This node's name among the nodes sharing the registry; default `<hostname>-<pid>`. */
  nodeId?: string;
  /** Milliseconds a change waits for the other nodes to apply it before it answers. */
  convergeTimeoutMs?: number;
  /** Milliseconds this node may know of a newer revision than it serves before it stops being ready. */
  maxLagMs?: number;
  port: number;
  host: string;
  token?: string;
  execToken?: string;
  modulesDir?: string;
  maxArtifactBytes?: number;
  /** Largest request body a wagi function accepts. */
  maxBodyBytes?: number;
  /** Bytes of request bodies (wagi bodies and artifact uploads together) held at once; past it, 503. */
  maxBodyBytesInFlight?: number;
  executor?: ExecutorOptions;
  /** Timeouts and the connection cap of the socket; each one left out takes its default. */
  connections?: Partial<ConnectionLimits>;
  onInternalError?: (error: unknown) => void;
  onLoadError?: (name: string, error: unknown) => void;
  /** What the registry could not do in the background (a shared store that lost commits, a listener that failed). */
  onRegistryError?: (error: unknown) => void;
  /** Each invocation, after the platform's own log has it (metrics, the console, the request log). */
  onInvocation?: (invocation: Invocation) => void;
  /** Each control-plane action: deploys, rollbacks, removals, uploads, refused tokens. */
  onControlAction?: ControlActionObserver;
  /** Adds routes after the control plane and ahead of the functions' own (the console, /metrics). */
  extend?: (app: Hono, context: { platform: Platform; executor: Executor }) => void;
}

export interface PlatformServer {
  url: string;
  platform: Platform;
  executor: Executor;
  /** The socket's server, for observers of every request (the request log). */
  server: Server;
  /** What clients did wrong (cut-off bodies, malformed requests, timeouts, refused connections), counted. */
  clientErrors: ClientErrors;
  /** Not ready, then finishes the requests in flight and stops (drain.ts). */
  drain(options: DrainOptions): Promise<DrainResult>;
  /** Stops at once, requests in flight too (also cuts a drain short). */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startPlatformServer(options: PlatformServerOptions): Promise<PlatformServer> {
  if (!options.token && !isLoopback(options.host)) {
    throw new NanoError(
      'TokenRequired',
      `refusing to listen on ${options.host} without a token: anyone who can reach it could deploy code`,
      {
        value: options.host,
        hint: 'pass --token (or set NANO_TOKEN), or listen on 127.0.0.1',
      },
    );
  }
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}`;
  // Known once the socket listens; the registry asks for it (presence) from the start.
  let url = '';
  const registry = await openRegistry(options.registry ?? options.dataDir, {
    publicUrl: () => url,
    nodeId,
    cacheDir: options.dataDir,
    onListenerError: options.onRegistryError,
  });
  const executor = createExecutor(options.executor);
  // Starting until the registry is loaded; the socket opens only then, so a probe meets a refused connection before.
  const readiness = new Readiness({ lagMs: () => registry.lagMs(), maxLagMs: options.maxLagMs ?? DEFAULT_MAX_LAG_MS });
  const stopping = new AbortController();
  const routes = new RouteTable();
  const clientErrors = new ClientErrors();
  const maxArtifactBytes = options.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
  // One budget for the data plane's bodies and the control plane's uploads: both are the same memory.
  const bodyBudget = new BodyBudget(
    options.maxBodyBytesInFlight ?? defaultBodyBytesInFlight(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, maxArtifactBytes),
  );
  const platform = new Platform({
    registry,
    executor,
    routes,
    publicUrl: () => url,
    nodeId,
    onLoadError: options.onLoadError,
    convergeTimeoutMs: options.convergeTimeoutMs,
  });
  const { onInvocation } = options;
  try {
    await platform.loadAll();
    const app = createApp({
      host: executor,
      routes,
      unavailable: platform.unavailable,
      readiness,
      node: { id: nodeId, revision: () => platform.servedRevision },
      execToken: options.execToken,
      onInternalError: options.onInternalError,
      clientErrors,
      maxBodyBytes: options.maxBodyBytes,
      bodyBudget,
      onInvocation: onInvocation
        ? (entry) => {
            platform.logs.append(entry);
            onInvocation(entry);
          }
        : (entry) => platform.logs.append(entry),
      extend: (app) => {
        addControlPlane(app, { platform, token: options.token, maxArtifactBytes, bodyBudget, onAction: options.onControlAction });
        if (options.modulesDir) addSeedRegister(app, platform, options.modulesDir, options.token, options.onControlAction);
        options.extend?.(app, { platform, executor });
      },
    });
    const listening = await listen(app, { port: options.port, host: options.host, limits: options.connections, clientErrors });
    url = listening.url;
    await registry.announce();
    readiness.ready();
    return {
      url,
      platform,
      executor,
      server: listening.server,
      clientErrors,
      drain: async (drainOptions) => {
        const result = await drainServer({ readiness, listening, executor, stopping: stopping.signal }, drainOptions);
        await registry.close();
        return result;
      },
      close: async () => {
        stopping.abort();
        await listening.close();
        await executor.close();
        await registry.close();
      },
    };
  } catch (error) {
    await executor.close();
    await registry.close();
    throw error;
  }
}
