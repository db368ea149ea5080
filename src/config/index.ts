/** config: load, validate and resolve nano.yml into one read-only configuration. */
export { resolveConfig, BUILTIN_DEFAULTS, type ResolvedConfig, type ResolvedFunction, type ResolveOptions } from './resolve.js';
export { parseDuration, formatDuration, DURATION_PATTERN } from './durations.js';
export { LIMIT_BOUNDS } from './limits.js';
export { RESERVED_PREFIXES, ROUTE_PATH_PATTERN, reservedPrefixOf } from './routes.js';
export { nanoSchemaPath } from './validate.js';
export { FUNCTION_NAME, HTTP_METHODS, overlappingMethods, type Abi, type HttpMethod, type Limits, type Route } from './types.js';
