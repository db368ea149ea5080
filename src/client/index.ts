/** client: the HTTP client of a nano platform's control and data planes, used by the CLI. */
export { ControlClient, type LogQuery } from './control-client.js';
export { deployBuild, type DeployOptions, type DeployProgress, type DeployResult } from './deploy.js';
export { HttpClient, normalizeUrl, type HttpOptions, type RequestOptions } from './http.js';
export { invokeRemote, requestRemote, type InvokeOptions, type RemoteInvocation } from './invoke-remote.js';
export { readSse, type SseEvent } from './sse.js';
