/**
 * The nanoprocess runtime: a pool of worker threads that runs each invocation
 * as a fresh instance of a precompiled module, under per-function limits.
 *
 * - `createExecutor()` → `Executor`: deploy / remove / info / invoke / stats / close.
 * - Argument codec: `parseQueryArgs` (`?5,2`), `parseJsonArgs` (`[5,2]`,
 *   `{"args":[5,2]}`), `coerceArgs`, `renderResults`.
 * - `invokeWagi` runs a `wagi` function (CGI over WASI, wasi-host.ts); `logLinesOf(error)`
 *   gives the lines a failed call logged.
 * - `OverloadedError` (code `Overloaded`) carries `retryAfterSeconds` for Retry-After.
 */
export {
  createExecutor,
  type CompiledSwitch,
  type DeployItem,
  type Executor,
  type ExecutorOptions,
  type FunctionInfo,
  type InvokeResult,
  type RuntimeHealth,
  type WagiRequest,
  type WagiResult,
  logLinesOf,
} from './executor.js';
export { coerceArgs, parseJsonArgs, parseQueryArgs, renderResults, type RawArg, type WasmValue } from './args.js';
export { OverloadedError } from './runtime-errors.js';
export { emptyStats, type FunctionStats } from './stats.js';
