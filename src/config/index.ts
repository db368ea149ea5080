/** config: load, validate and resolve nano.yml into one read-only configuration. */
export { resolveConfig, BUILTIN_DEFAULTS, type ResolvedConfig, type ResolvedFunction, type ResolveOptions } from './resolve.js';
export { parseDuration, formatDuration } from './durations.js';
export { nanoSchemaPath } from './validate.js';
export type { Abi, HttpMethod, Limits, Route } from './types.js';
