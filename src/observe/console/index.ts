/** The web console of `nano dev` and `nano server` under /_nano/: its server side (the page is in console/). */
export { WebConsole, CONSOLE_PATH, type WebConsoleOptions } from './web-console.js';
export { buildStatusOf, type BuildStatus, type BuildProblem } from './build-status.js';
export { SESSION_COOKIE, CSRF_HEADER } from './console-auth.js';
export type { Overview, ListedFunction } from './console-api.js';
export type { InvokeAnswer } from './invoke-proxy.js';
