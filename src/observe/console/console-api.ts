/**
 * The console's JSON API under /_nano/api/ (behind console-auth.ts's guard):
 *   GET  /overview[?q=&limit=]              mode, node, build status (dev), functions with live figures
 *   GET  /functions/:name/series[?seconds=] per-second calls, errors, p50/p99, and the live figures
 *   GET  /functions/:name/versions          the platform's versions (nano server)
 *   POST /functions/:name/rollback {to?}    the platform's rollback, as `nano rollback` does it
 *   GET  /functions/:name/logs              the log tail (SSE, server/log-stream.ts)
 *   POST /functions/:name/invoke            the invoke form (invoke-proxy.ts)
 * Errors are the app's JSON errors (`{ error: { code, message, hint } }`) with their status.
 */
import type { Hono } from 'hono';
import { NanoError } from '../../errors.js';
import { audited, type ControlActionObserver } from '../../server/control-action.js';
import { streamLogs } from '../../server/index.js';
import { NANO_VERSION } from '../../package-root.js';
import type { BuildStatus } from './build-status.js';
import { LIVE_SECONDS, RATE_SECONDS, RING_SECONDS, type CallSeries, type LiveFigures } from '../call-series.js';
import type { ConsoleFunction, ConsoleSource } from './console-source.js';
import { invokeThroughApp } from './invoke-proxy.js';
import { readJsonOrForm } from './request-body.js';

/** Entries the console's tail starts with. */
const TAIL_ENTRIES = 50;

/** Functions listed at most by default: a node may hold 10,000, the page filters by name past this. */
export const DEFAULT_LIST_LIMIT = 500;

export interface ConsoleApiOptions {
  source: ConsoleSource;
  series: CallSeries;
  buildStatus: () => BuildStatus | undefined;
  loginRequired: boolean;
  /** The data plane's token, for the invoke form's requests. */
  execToken?: string;
  onControlAction?: ControlActionObserver;
  /** Who a rollback is logged as (console-auth.ts `actor`): a session carries no token of its own. */
  actor?: string;
}

export type ListedFunction = ConsoleFunction & { live: LiveFigures | null };

export interface Overview {
  mode: ConsoleSource['mode'];
  nanoVersion: string;
  node: ConsoleSource['node'] | null;
  loginRequired: boolean;
  buildStatus: BuildStatus | null;
  /** Functions in all, and those matching the filter. */
  total: number;
  matching: number;
  functions: ListedFunction[];
  /** The window of the live figures, in seconds. */
  liveSeconds: number;
  /** The window of the calls per second, in seconds. */
  rateSeconds: number;
}

/** A whole number from the query within bounds, the default when absent; out of bounds is the caller's mistake. */
function wholeNumber(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new NanoError('RequestInvalid', `${name}=${text} is not a whole number from ${min} to ${max}`, { value: text });
  }
  return value;
}

function platformOnly(source: ConsoleSource, what: string): NonNullable<ConsoleSource['platform']> {
  if (source.platform === undefined) {
    throw new NanoError('NotFound', `nano dev keeps no ${what}: each save serves a new build`, {
      value: what,
      hint: 'versions and rollback are a platform’s (`nano server`); in nano dev, undo the edit and save',
    });
  }
  return source.platform;
}

/** The version a rollback asks for: a number (JSON) or its digits (a form); none means the one before. */
async function rollbackVersion(request: Request): Promise<number | undefined> {
  const { to } = await readJsonOrForm(request);
  const version = to === undefined || to === '' ? undefined : typeof to === 'string' && /^\d+$/.test(to) ? Number(to) : to;
  if (version !== undefined && !(typeof version === 'number' && Number.isInteger(version) && version > 0)) {
    throw new NanoError('RequestInvalid', `"to" must be a version number, got ${JSON.stringify(to)}`, {
      value: to,
      hint: 'a version the function’s versions list shows, like 2',
    });
  }
  return version;
}

export function addConsoleApi(app: Hono, options: ConsoleApiOptions): void {
  const { source, series } = options;

  app.get('/_nano/api/overview', (c) => {
    const query = (c.req.query('q') ?? '').trim().toLowerCase();
    const limit = wholeNumber(c.req.query('limit'), 'limit', DEFAULT_LIST_LIMIT, 1, 100_000);
    const all = source.functions();
    // What no longer serves is forgotten here, when someone looks, rather than on every removal.
    series.retain(new Set(all.map((fn) => fn.name)));
    const matching = query === '' ? all : all.filter((fn) => fn.name.toLowerCase().includes(query));
    const body: Overview = {
      mode: source.mode,
      nanoVersion: NANO_VERSION,
      node: source.node ?? null,
      loginRequired: options.loginRequired,
      buildStatus: options.buildStatus() ?? null,
      total: all.length,
      matching: matching.length,
      functions: matching.slice(0, limit).map((fn) => ({ ...fn, live: series.live(fn.name) ?? null })),
      liveSeconds: LIVE_SECONDS,
      rateSeconds: RATE_SECONDS,
    };
    c.header('Cache-Control', 'no-store');
    return c.json(body);
  });

  app.get('/_nano/api/functions/:name/series', (c) => {
    const fn = source.get(c.req.param('name'));
    const seconds = wholeNumber(c.req.query('seconds'), 'seconds', LIVE_SECONDS * 2, 10, RING_SECONDS);
    c.header('Cache-Control', 'no-store');
    return c.json({ function: fn, live: series.live(fn.name) ?? null, points: series.series(fn.name, seconds) });
  });

  app.get('/_nano/api/functions/:name/versions', (c) => {
    const platform = platformOnly(source, 'versions');
    c.header('Cache-Control', 'no-store');
    return c.json(platform.versions(c.req.param('name')));
  });

  app.post('/_nano/api/functions/:name/rollback', async (c) => {
    const name = c.req.param('name');
    const platform = platformOnly(source, 'versions to roll back to');
    // The platform's rollback, as `nano rollback` has it done: the same registry change, reported as a
    // control action, a refusal of its body included.
    const done = await audited(
      c,
      options.onControlAction,
      { action: 'rollback', target: name, revisionOf: (result) => result.revision, by: options.actor },
      async () => platform.rollback(name, await rollbackVersion(c.req.raw)),
    );
    return c.json(done);
  });

  app.get('/_nano/api/functions/:name/logs', async (c) => {
    const fn = source.get(c.req.param('name'));
    return streamLogs(c, source.logs, fn.name, await source.logs.list(fn.name, { limit: TAIL_ENTRIES }));
  });

  app.post('/_nano/api/functions/:name/invoke', async (c) => {
    const fn = source.get(c.req.param('name'));
    return c.json(await invokeThroughApp(c, app, fn, options.execToken));
  });
}
