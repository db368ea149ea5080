/**
 * The limits a nano.yml must keep, in one place: the reader, the YAML checks,
 * the error report and the README quote these values.
 *
 * A real nano.yml is a few kilobytes, a few levels deep, with a handful of
 * aliases; each limit sits far above that and far below what hurts.
 */

/** Bytes of nano.yml read at most; a larger file is refused before it is parsed (a 20 MB scalar alone took 4 s). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Aliases resolved at most, counting those inside a repeated anchor once per
 * repetition: a chain of aliases or a "billion laughs" grows exponentially.
 */
export const MAX_ALIASES = 100;

/**
 * Levels of nesting (mappings and lists, aliases expanded) at most: every later
 * stage (values, substitution, schema, freezing) recurses once per level.
 */
export const MAX_DEPTH = 64;

/** Problems listed at most in one report; the rest are counted. */
export const MAX_PROBLEMS_SHOWN = 100;

/**
 * The bounds of a function's limits, inclusive, in the units of `Limits` (pages, ms, instances): the one
 * definition that config resolution (resolve.ts) and the deploy API (server/deploy-request.ts) both
 * apply, so a nano.yml that resolves also deploys. schema/nano.schema.json states the same numbers for
 * editors (test/config/limit-bounds.test.ts checks that it does).
 *
 * timeout: an hour; past that a request is a job, not an invocation. cacheTtl: a day, inside Node's
 * largest timer (2^31 − 1 ms, ~24.8 days), past which a timer fires at once.
 */
export const LIMIT_BOUNDS = {
  memoryPages: { min: 1, max: 65_536 },
  timeoutMs: { min: 1, max: 3_600_000 },
  cacheTtlMs: { min: 1, max: 86_400_000 },
  concurrency: { min: 1, max: 10_000 },
} as const;
