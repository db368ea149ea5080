/** server: the Hono app (data plane) and putting it on a socket. */
export { createApp, type AppOptions } from './app.js';
export { RouteTable, type RouteTarget } from './route-table.js';
export { listen, type Listening } from './listen.js';
export { statusOf, type ErrorBody } from './http-errors.js';
export type { FunctionHost } from './function-host.js';
