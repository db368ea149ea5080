/**
 * The web console under /_nano/, for `nano dev` and `nano server` alike. One object per server: it
 * hears every invocation (`record`, the data plane's observer), is told of builds in `nano dev`
 * (`setBuildStatus`), and adds its routes to the server's app (`mount`, from the server's `extend`).
 *
 *   GET  /_nano/                  the page (console/index.html), its files under /_nano/assets/
 *   POST /_nano/login, /logout    the session of a server with a token (console-auth.ts)
 *   ANY  /_nano/api/...           the JSON API (console-api.ts)
 */
import type { Hono } from 'hono';
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

export interface WebConsoleOptions {
  mode: ConsoleMode;
  /** The control plane's token (`nano server --token`): the console then asks for it at login. */
  token?: string;
  /** The data plane's token (`--exec-token`), sent with the invoke form's requests. */
  execToken?: string;
  /** Told of console logins and rollbacks, like the control plane's actions. */
  onControlAction?: ControlActionObserver;
}

export class WebConsole {
  readonly series = new CallSeries();
  /** `nano dev`'s log for the tail; a platform has its own (the cluster's, on a shared registry). */
  private readonly devLog: InvocationLog | undefined;
  private buildStatus: BuildStatus | undefined;
  private readonly auth: ConsoleAuth;

  constructor(private readonly options: WebConsoleOptions) {
    this.devLog = options.mode === 'dev' ? new InvocationLog() : undefined;
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
    app.use('/_nano/api/*', this.auth.guard());
    addConsoleAssets(app);
    this.auth.addRoutes(app);
    addConsoleApi(app, {
      source: this.sourceOf(context),
      series: this.series,
      buildStatus: () => this.buildStatus,
      loginRequired: this.auth.required,
      execToken: this.options.execToken,
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
