/** Durations in nano.yml: a number of ms, or "250ms" / "5s" / "1m". */

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
const DURATION = /^([1-9][0-9]*)(ms|s|m)$/;

/** Returns the duration in ms, or undefined when the value is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The shortest exact rendering: 1500 → "1500ms", 5000 → "5s", 60000 → "1m". */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
