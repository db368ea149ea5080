/** server: the Hono app (data plane + control plane), the platform behind it, and its socket. */
export { createApp, type AppOptions } from './app.js';
export type { Invocation } from './app-options.js';
export { INVOCATION } from './invoke.js';
export type { ControlAction, ControlActionObserver } from './control-action.js';
export { traceOf, traceparentOf, parseTraceparent, type TraceContext } from './trace-context.js';
export { RouteTable, type RouteTarget } from './route-table.js';
export { listen, type Listening, type ListenOptions } from './listen.js';
export { ClientErrors, type ClientErrorCounts, type ClientErrorKind } from './client-errors.js';
export { statusOf, type ErrorBody } from './http-errors.js';
export type { FunctionHost } from './function-host.js';
export { Platform } from './platform.js';
export { InvocationLog, logEntryOf } from './invocation-log.js';
export { streamLogs, type LogSource } from './log-stream.js';
export { Readiness, addReadinessRoute, type ReadinessState } from './readiness.js';
export type { DrainOptions } from './drain.js';
export type { DrainResult } from './connection-drain.js';
export { startPlatformServer, isLoopback, type PlatformServer, type PlatformServerOptions } from './start-platform.js';
export type * from './control-api.js';
export {
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_MAX_ARTIFACT_BYTES,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_BODY_BYTES_IN_FLIGHT,
  DEFAULT_DRAIN_DELAY_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type ConnectionLimits,
} from './limits.js';
export { BodyBudget, OverBudgetError, type BodyLease } from './body-budget.js';
