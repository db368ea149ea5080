/** What the data plane's app is built from (app.ts), and the same once createApp has filled in its defaults. */
import type { Hono } from 'hono';
import type { BodyBudget } from './body-budget.js';
import type { ClientErrors } from './client-errors.js';
import type { LogEntry } from './control-api.js';
import type { DeclaredFunctions } from './declared.js';
import type { FunctionHost } from './function-host.js';
import type { Readiness } from './readiness.js';
import type { TraceContext } from './trace-context.js';
import type { ResultHeaders } from './result-headers.js';
import type { RouteTable } from './route-table.js';

export interface AppOptions {
  host: FunctionHost;
  routes: RouteTable;
  /** Called with errors that are not the caller's fault (bugs), for the log. */
  onInternalError?: (error: unknown) => void;
  /** Counts requests whose body a client cut short (never logged: not our bug); listen() counts the socket-level ones. */
  clientErrors?: ClientErrors;
  /** Largest argument body accepted, in bytes. */
  maxArgsBytes?: number;
  /** Largest request body a `wagi` function accepts, in bytes (default 8 MiB); beyond it, 413. */
  maxBodyBytes?: number;
  /**
   * Bytes of request bodies held at once, shared with the control plane's uploads when given; by
   * default a budget of the app's own (limits.ts, DEFAULT_MAX_BODY_BYTES_IN_FLIGHT). Past it, 503.
   */
  bodyBudget?: BodyBudget;
  /** Called once per invocation attempt that named an existing function (for `nano logs`). */
  onInvocation?: (invocation: Invocation) => void;
  /** When set, the data plane needs `Authorization: Bearer <execToken>` too. */
  execToken?: string;
  /**
   * Functions held but not runnable (the runtime refused their current version): name → why.
   * They answer 503 FunctionUnavailable with the reason, and /healthz lists them.
   */
  unavailable?: ReadonlyMap<string, string>;
  /** Starting, ready or draining, for GET /healthz/ready; left out, the app is ready whenever it answers. */
  readiness?: Readiness;
  /** Adds routes (the control plane) ahead of the functions' own routes, which match anything. */
  extend?: (app: Hono) => void;
  /**
   * This node and the registry revision it serves (`nano server`): every response carries them as
   * `x-nano-node` and `x-nano-revision`, a function's response the revision its call started on.
   */
  node?: { id: string; revision: () => number };
  /** `nano dev`: the functions nano.yml declares, which wait for their first build rather than answer 404 (declared.ts). */
  declared?: DeclaredFunctions;
}

/**
 * One invocation, as the data plane records it: a log entry whose time is still the epoch ms number.
 * Whoever keeps or shows it formats the time (invocation-log.ts `logEntryOf`): most records are never read.
 * Its span (`trace`, and `startMs`, when the attempt began, in epoch ms) is for the trace exporter, not the log.
 */
export type Invocation = Omit<LogEntry, 'time'> & { timeMs: number; trace?: TraceContext; startMs?: number };

/** The options once createApp has filled in the budget and picked the response headers' builder. */
export type Resolved = AppOptions & { bodyBudget: BodyBudget; resultHeaders: ResultHeaders };
