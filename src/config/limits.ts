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
