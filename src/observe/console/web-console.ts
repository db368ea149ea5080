/**
 * The web console under /_nano/, for `nano dev` and `nano server` alike. One object per server: it
 * hears every invocation (`record`, the data plane's observer), is told of builds in `nano dev`
 * (`setBuildStatus`), and adds its routes to the server's app (`mount`, from the server's `extend`).
 *
 *   GET  /_nano/                  the page (console/index.html), its files under /_nano/assets/
 *   POST /_nano/login, /logout    the session of a server with a token (console-auth.ts)
 *   ANY  /_nano/api/...           the JSON API (console-api.ts)
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { NanoError } from '../../errors.js';
import type { Executor } from '../../runtime/index.js';
import { InvocationLog, type Invocation, type Platform } from '../../server/index.js';
import type { ControlActionObserver } from '../../server/control-action.js';
import { CallSeries } from '../call-series.js';
import { addConsoleApi } from './console-api.js';
import { addConsoleAssets } from './console-assets.js';
import { ConsoleAuth } from './console-auth.js';
import type { BuildStatus } from './build-status.js';
import { devSource, platformSource, type ConsoleMode, type ConsoleSource } from './console-source.js';

export const CONSOLE_PATH = '/_nano/';
const RETAIN_EVERY_MS = 60_000;
/**
 * Entries `nano dev`'s console keeps per function, for its log tail (which starts with the last 50): few
 * enough that a busy function's entries die young, which the garbage collector does for nearly nothing.
 */
const DEV_LOG_CAPACITY = 100;

export interface WebConsoleOptions {
  mode: ConsoleMode;
  /** The control plane's token (`nano server --token`): the console then asks for it at login. */
  token?: string;
  /** The data plane's token (`--exec-token`), sent with the invoke form's requests. */
  execToken?: string;
  /** Told of console logins and rollbacks, like the control plane's actions. */
  onControlAction?: ControlActionObserver;
}

/**
 * A console without a login (`nano dev`, a `nano server` without a token: loopback only) answers only
 * requests addressed to a loopback name: a web page that rebinds its own host name to 127.0.0.1 would
 * otherwise reach it from the user's browser as its own origin (DNS rebinding).
 */
const refuseForeignHosts: MiddlewareHandler = async (c, next) => {
  const host = c.req.header('host') ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  if (!(name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name))) {
    throw new NanoError('Unauthorized', `the console without a token answers requests for localhost only, not for "${host}"`, {
      value: host,
      hint: 'open it as http://127.0.0.1:<port>/_nano/ (an SSH tunnel from elsewhere), or start nano server with --token',
    });
  }
  await next();
};

export class WebConsole {
  readonly series = new CallSeries();
  /** `nano dev`'s log for the tail; a platform has its own (the cluster's, on a shared registry). */
  private readonly devLog: InvocationLog | undefined;
  private buildStatus: BuildStatus | undefined;
  private readonly auth: ConsoleAuth;

  constructor(private readonly options: WebConsoleOptions) {
    this.devLog = options.mode === 'dev' ? new InvocationLog(DEV_LOG_CAPACITY) : undefined;
    this.auth = new ConsoleAuth({ token: options.token, onControlAction: options.onControlAction });
    // Handed around as an observer: bound once here, not per call.
    this.record = this.record.bind(this);
  }

  /** One invocation (the data plane's `onInvocation`): on the hot path, kept cheap. */
  record(invocation: Invocation): void {
    this.series.record(invocation);
    this.devLog?.append(invocation);
  }

  /** `nano dev`: the first build's and every reload's outcome (build-status.ts `buildStatusOf`). */
  setBuildStatus(status: BuildStatus): void {
    this.buildStatus = status;
  }

  /** Adds the console's routes to a server's app, ahead of the functions' own. */
  mount(app: Hono, context: { executor: Executor; platform?: Platform }): void {
    if (!this.auth.required) app.use('/_nano/*', refuseForeignHosts);
    app.use('/_nano/api/*', this.auth.guard());
    addConsoleAssets(app);
    this.auth.addRoutes(app);
    const source = this.sourceOf(context);
    // What no longer serves is forgotten when someone looks (the overview), and once a minute for a console
    // nobody opens: the figures of functions removed long ago must not pile up. Unref'd: it keeps no process alive.
    setInterval(() => {
      try {
        this.series.retain(new Set(source.functions().map((fn) => fn.name)));
      } catch {
        // A server closing under it: the next look (or none) does the work.
      }
    }, RETAIN_EVERY_MS).unref();
    addConsoleApi(app, {
      source,
      series: this.series,
      buildStatus: () => this.buildStatus,
      loginRequired: this.auth.required,
      // Only behind the login: a console anyone on the host may open must not call with the data plane's token.
      execToken: this.auth.required ? this.options.execToken : undefined,
      onControlAction: this.options.onControlAction,
      actor: this.auth.actor,
    });
    // Anything else under /_nano is the console's, never a function's route (the prefix is reserved).
    app.all('/_nano/*', (c) => {
      throw new NanoError('NotFound', `no console page or API at ${c.req.method} ${c.req.path}`, {
        value: c.req.path,
        hint: `the console is at ${CONSOLE_PATH}`,
      });
    });
  }

  private sourceOf(context: { executor: Executor; platform?: Platform }): ConsoleSource {
    if (context.platform !== undefined) return platformSource(context.platform, context.executor);
    // A bug of the caller, not the user's: `nano server` always hands its platform over.
    if (this.devLog === undefined) throw new Error('the console of `nano server` was mounted without its platform');
    return devSource(context.executor, this.devLog);
  }
}
