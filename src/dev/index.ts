/** dev: serve a project's build locally, with the platform's executor and limits. */
export { startDevServer, type DevServer, type DevServerOptions } from './dev-server.js';
export { BuildLoader, type LoadedFunction } from './load-build.js';
