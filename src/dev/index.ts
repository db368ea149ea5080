/**
 * dev: serve a project locally with the platform's executor and limits, and
 * keep it current while its files change (watch → debounce → build → swap).
 *
 * - `startDevSession()`: the whole of `nano dev` (server, watcher, reloads).
 * - `startDevServer()` + `BuildLoader`: the server alone, loaded by hand.
 */
export { startDevSession, type DevSession, type DevSessionOptions } from './dev-session.js';
export { DEFAULT_DEBOUNCE_MS } from './reload-scheduler.js';
export { startDevServer, type DevServer, type DevServerOptions } from './dev-server.js';
export { DeclaredProject } from './declared-project.js';
export {
  BuildLoader,
  type ChangedPart,
  type LoadableBuild,
  type LoadedFunction,
  type LoadOptions,
  type ServedFunction,
} from './load-build.js';
export type { FunctionFailure, ReloadReport } from './reloader.js';
export type { WatchPlan } from './watch-plan.js';
