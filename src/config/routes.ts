/**
 * What a function's route may be, worded once for nano.yml (resolve.ts) and the deploy API
 * (server/deploy-request.ts): its path grammar and the prefixes the platform serves itself.
 */

/**
 * Paths the platform serves itself (data plane, control plane, health — /healthz/nodes among them —, the
 * seed's /register, the Prometheus /metrics and the console under /_nano): no function route may be one of
 * them or lie under one.
 */
export const RESERVED_PREFIXES = [
  '/exec',
  '/stats',
  '/healthz',
  '/functions',
  '/deployments',
  '/artifacts',
  '/register',
  '/logs',
  '/metrics',
  '/_nano',
] as const;

/** The reserved prefix `path` is or lies under, or undefined when a function may take it. */
export function reservedPrefixOf(path: string): string | undefined {
  return RESERVED_PREFIXES.find((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * A route path as resolved (no trailing slash but on "/"): segments of letters, digits, '-', '_', '.'
 * and '~', or a last segment `*`. nano.yml's pattern also allows one trailing slash, which resolving drops.
 */
export const ROUTE_PATH_PATTERN = '^(/[A-Za-z0-9._~-]+)+$|^/$|^(/[A-Za-z0-9._~-]+)*/\\*$';
