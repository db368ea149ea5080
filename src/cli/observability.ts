/**
 * What `nano server` gets to be observed by, from its flags: the structured log (--log-format,
 * --log-level), the Prometheus metrics (--metrics-token, --metrics-port) and the console under /_nano/.
 * Each feature is one block below; they meet in the options handed to startPlatformServer, where every
 * invocation and control action reaches each observer in turn.
 */
import type { Hono } from 'hono';
import type { ServerLog, LogFormat, LogLevel } from '../observe/server-log.js';
import type { OtlpTracing } from '../observe/otlp-traces.js';
import { NanoError } from '../errors.js';
import { otlpRequested } from '../observe/otlp-requested.js';
import { NANO_VERSION } from '../package-root.js';
import {
  isLoopback,
  type ControlAction,
  type Invocation,
  type Listening,
  type Platform,
  type PlatformServer,
  type PlatformServerOptions,
} from '../server/index.js';
import type { Executor } from '../runtime/index.js';
import { UsageError, type CommandContext } from './context.js';
import { checkWholeNumber } from './flags.js';
import { createOutput, type Output } from './output.js';

export interface ServerObservabilityFlags {
  'log-format'?: LogFormat;
  'log-level'?: LogLevel;
  json: boolean;
  metrics: boolean;
  'metrics-token'?: string;
  'metrics-port'?: number;
  'metrics-host': string;
  /** The web console under /_nano/ (--no-console: not served, and no call is recorded for it). */
  console: boolean;
}

/** A flag's value, else the environment's (checked like the flag), else the default. */
function choice<T extends string>(
  flag: T | undefined,
  envName: string,
  envValue: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (flag !== undefined) return flag;
  if (envValue === undefined || envValue === '') return fallback;
  if ((choices as readonly string[]).includes(envValue)) return envValue as T;
  throw new UsageError(`${envName} must be one of ${choices.join(', ')} (or unset), got "${envValue}"`);
}

export interface ServerObservability {
  /** Where the command's own lines go: the terminal, or in json log format the log itself. */
  out: Output;
  /** Handed to startPlatformServer. */
  options: Pick<PlatformServerOptions, 'onInvocation' | 'onControlAction' | 'extend'>;
  /** Once the socket listens. */
  started(server: PlatformServer): Promise<void>;
  close(): Promise<void>;
}

type Observer<T> = (value: T) => void;

/** One observer made of several, none of which can stop the others. */
function fanOut<T>(observers: Observer<T>[], onError: (error: unknown) => void): Observer<T> | undefined {
  if (observers.length === 0) return undefined;
  return (value) => {
    for (const observer of observers) {
      try {
        observer(value);
      } catch (error) {
        onError(error);
      }
    }
  };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The command's lines as log records (json format): stdout carries nothing but JSON lines. */
function logOutput(log: ServerLog): Output {
  const text = (line: string) => line.replace(ANSI, '').trim();
  // The server's own lines (where it listens, how it stops) are written at --log-level warn too: a
  // supervisor waits for "listening on". Only `silent` silences them.
  const server = log.logger.child({ kind: 'server' }, { level: log.logger.level === 'silent' ? 'silent' : 'info' });
  return {
    json: false,
    line: (line = '') => {
      if (text(line) !== '') server.info(text(line));
    },
    error: (line) => server.error(text(line)),
    result: () => undefined,
    record: () => undefined,
    paint: (_style, line) => line,
    progress: () => undefined,
    clearProgress: () => undefined,
    table(rows) {
      for (const row of rows) this.line(row.join('  '));
    },
  };
}

/**
 * `tokens`: the server's, as the command resolved them (flag, else environment; empty is none). /metrics
 * on the main port takes the control token when it has none of its own; the console's login takes it, and
 * its invoke form sends the exec token.
 */
export async function serverObservability(
  flags: ServerObservabilityFlags,
  ctx: CommandContext,
  tokens: { token: string | undefined; execToken: string | undefined },
): Promise<ServerObservability> {
  const invocationObservers: Observer<Invocation>[] = [];
  const actionObservers: Observer<ControlAction>[] = [];
  const extensions: ((app: Hono, context: { platform: Platform; executor: Executor }) => void)[] = [];
  const onStarted: ((server: PlatformServer) => Promise<void> | void)[] = [];
  const onClose: (() => Promise<void> | void)[] = [];

  // --- log: one record per request, control action and function line (src/observe/server-log.ts) ---
  const { createServerLog, LOG_FORMATS, LOG_LEVELS } = await import('../observe/server-log.js');
  const { stdout, env } = ctx.io;
  const format = choice(flags['log-format'], 'NANO_LOG_FORMAT', env.NANO_LOG_FORMAT, LOG_FORMATS, 'pretty');
  const log = await createServerLog({
    format,
    level: choice(flags['log-level'], 'NANO_LOG_LEVEL', env.NANO_LOG_LEVEL, LOG_LEVELS, 'info'),
    sink: stdout,
    colour: Boolean(stdout.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb',
  });
  invocationObservers.push((invocation) => log.onInvocation(invocation));
  actionObservers.push((action) => log.onControlAction(action));
  onStarted.push((server) => log.watchRequests(server.server));
  onClose.push(() => log.flush());
  const out = format === 'json' && !flags.json ? logOutput(log) : createOutput(ctx.io, { json: flags.json });
  const observerFailed = (error: unknown) =>
    out.error(`internal error in an observer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);

  // --- metrics: GET /metrics for Prometheus (src/observe/metrics.ts); --no-metrics counts nothing ---
  const metricsToken = flags['metrics-token'] || env.NANO_METRICS_TOKEN || undefined;
  const metricsPort = flags['metrics-port'];
  if (!flags.metrics && (metricsToken !== undefined || metricsPort !== undefined)) {
    throw new UsageError(`--no-metrics serves no /metrics: leave out ${metricsPort === undefined ? '--metrics-token' : '--metrics-port'}`);
  }
  if (metricsPort !== undefined) checkWholeNumber('metrics-port', metricsPort, 0, 65_535);
  // The main port's rule, for the metrics' own: beyond loopback, only behind a token.
  if (metricsPort !== undefined && metricsToken === undefined && !isLoopback(flags['metrics-host'])) {
    throw new UsageError(
      `--metrics-host ${flags['metrics-host']} without --metrics-token would show the functions and the node to anyone who reaches it: pass --metrics-token (or NANO_METRICS_TOKEN), or keep --metrics-host 127.0.0.1`,
    );
  }
  if (flags.metrics) {
    const [{ createMetrics }, { addMetricsRoute, serveMetrics }] = await Promise.all([
      import('../observe/metrics.js'),
      import('../observe/metrics-route.js'),
    ]);
    const metrics = createMetrics();
    invocationObservers.push(metrics.recordInvocation);
    actionObservers.push(metrics.recordControlAction);
    // On the main port unless it has a port of its own: behind its own token, else the control plane's
    // (a server without a token listens on loopback only, and /metrics is as open as the rest there).
    extensions.push((app, { platform, executor }) => {
      metrics.attach({ runtime: executor, platform });
      if (metricsPort === undefined) addMetricsRoute(app, metrics, { token: metricsToken ?? tokens.token });
    });
    if (metricsPort !== undefined) {
      let listening: Listening | undefined;
      onStarted.push(async () => {
        listening = await serveMetrics(metrics, { port: metricsPort, host: flags['metrics-host'], token: metricsToken }).catch(
          (error: unknown) => {
            // listen()'s hint names --port; this socket is --metrics-port's.
            if (!(error instanceof NanoError && error.code === 'ListenFailed')) throw error;
            throw new NanoError('ListenFailed', `--metrics-port: ${error.message}`, {
              value: metricsPort,
              hint: 'pass another --metrics-port, or 0 for any free port',
              cause: error,
            });
          },
        );
        out.line(`${out.paint('green', '✓')} metrics for Prometheus at ${listening.url}/metrics`);
      });
      onClose.push(() => listening?.close());
    }
  }

  // --- console: the web console under /_nano/ (src/observe/console/), behind a login when the server has a token ---
  if (flags.console) {
    const { WebConsole } = await import('../observe/console/index.js');
    const webConsole = new WebConsole({
      mode: 'server',
      token: tokens.token,
      execToken: tokens.execToken,
      // Its logins and rollbacks are control actions too: the log and the metrics hear them, as the
      // platform's own (the same fan-out, made once every observer is known).
      onControlAction: (action) => onControlAction?.(action),
    });
    invocationObservers.push(webConsole.record);
    extensions.push((app, context) => webConsole.mount(app, context));
    onStarted.push((server) =>
      out.line(`${out.paint('green', '✓')} console at ${server.url}/_nano/${tokens.token ? ' (log in with the token)' : ''}`),
    );
  }

  // --- traces: spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (src/observe/otlp-traces.ts) ---
  if (otlpRequested(env)) {
    const { createOtlpTracing } = await import('../observe/otlp-traces.js');
    let tracing: OtlpTracing | undefined;
    // Spans name the node, known once the server has started; the calls before that are not traced.
    invocationObservers.push((invocation) => tracing?.onInvocation(invocation));
    onStarted.push((server) => {
      tracing = createOtlpTracing({ serviceVersion: NANO_VERSION, nodeId: server.platform.nodeId });
      out.line(
        out.paint('gray', `traces: spans over OTLP to ${env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT}`),
      );
    });
    onClose.push(() => tracing?.shutdown());
  }

  // An observer's failure is a bug of nano's, logged; it never changes the answer of the call it watched.
  const onControlAction = fanOut(actionObservers, observerFailed);
  return {
    out,
    options: {
      onInvocation: fanOut(invocationObservers, observerFailed),
      onControlAction,
      extend: (app, context) => extensions.forEach((extend) => extend(app, context)),
    },
    started: async (server) => {
      for (const start of onStarted) await start(server);
    },
    close: async () => {
      for (const close of onClose) await close();
    },
  };
}
