/** config: load, validate and resolve nano.yml into one read-only configuration. */
export { resolveConfig, BUILTIN_DEFAULTS, type ResolvedConfig, type ResolvedFunction, type ResolveOptions } from './resolve.js';
export { parseDuration, formatDuration } from './durations.js';
export { nanoSchemaPath } from './validate.js';
export { FUNCTION_NAME, HTTP_METHODS, overlappingMethods, type Abi, type HttpMethod, type Limits, type Route } from './types.js';
