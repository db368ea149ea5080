/**
 * The one grammar of durations: nano.yml's `timeout:` and `cacheTtl:`, `nano logs --since`, the
 * control plane's `?since=` and what nano prints all go through this file.
 *
 * A duration is a whole, positive number of milliseconds, written as
 *   - a number of ms (`1500`, or the string "1500"), or
 *   - parts in falling order, each unit at most once: `250ms`, `5s`, `1.5s`, `2m30s`, `1h`, `1d`.
 * A part may have decimals, but only as many as keep the total a whole number of ms: none for `ms`,
 * 3 for `s` (1 ms), 4 for `m` (6 ms), 5 for `h` and `d` (36 ms, 864 ms). So every string the pattern
 * matches is exact, and schema/nano.schema.json can carry the same pattern (DURATION_PATTERN; a test
 * checks the two agree).
 */

/** The units, largest first, with how many decimals each may carry and stay a whole number of ms. */
const UNITS = [
  { unit: 'd', ms: 86_400_000, decimals: 5 },
  { unit: 'h', ms: 3_600_000, decimals: 5 },
  { unit: 'm', ms: 60_000, decimals: 4 },
  { unit: 's', ms: 1000, decimals: 3 },
  { unit: 'ms', ms: 1, decimals: 0 },
] as const;

const WHOLE = '(?:0|[1-9][0-9]*)';
const part = ({ unit, decimals }: (typeof UNITS)[number]) =>
  decimals === 0 ? `(?:${WHOLE}${unit})?` : `(?:${WHOLE}(?:\\.[0-9]{1,${decimals}})?${unit})?`;
/** Letters and digits that can only spell zero; a duration made of nothing else is 0 ms. */
const ZERO_ONLY = `[0.${[...new Set(UNITS.flatMap(({ unit }) => [...unit]))].join('')}]*$`;

/**
 * The pattern of a duration string, as in schema/nano.schema.json (#/definitions/duration): a bare
 * number of ms, or the parts; not empty (it starts with a digit) and not zero.
 */
export const DURATION_PATTERN = `^(?=[0-9])(?!${ZERO_ONLY})(?:[1-9][0-9]*|${UNITS.map(part).join('')})$`;

const DURATION = new RegExp(DURATION_PATTERN);
const PART = /(0|[1-9][0-9]*)(?:\.([0-9]+))?(ms|s|m|h|d)/g;

/**
 * Returns the duration in ms, or undefined when the value is not a duration (or is beyond
 * Number.MAX_SAFE_INTEGER ms, 285,000 years, which every bound refuses anyway).
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string' || !DURATION.test(value)) return undefined;
  if (/^[0-9]+$/.test(value)) return safe(Number(value));
  let total = 0;
  for (const [, whole = '0', fraction = '', unit] of value.matchAll(PART)) {
    const unitMs = UNITS.find((entry) => entry.unit === unit)?.ms ?? 0;
    // Integer arithmetic: the pattern allows only decimals that divide the unit exactly (1.001s is 1001, not 1000.99…).
    total += Number(whole) * unitMs + (Number(fraction || '0') * unitMs) / 10 ** fraction.length;
  }
  return safe(total);
}

function safe(ms: number): number | undefined {
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

/**
 * The shortest exact rendering, in the largest unit that keeps it to one part: 1500 → "1.5s",
 * 5000 → "5s", 90000 → "1.5m", 3600000 → "1h", 1234 → "1.234s", 7 → "7ms". parseDuration reads it back.
 */
export function formatDuration(ms: number): string {
  for (const { unit, ms: unitMs, decimals } of UNITS) {
    if (ms < unitMs) continue;
    const scaled = ms * 10 ** decimals;
    if (!Number.isSafeInteger(scaled) || scaled % unitMs !== 0) continue;
    const whole = Math.floor(ms / unitMs);
    const fraction = String(scaled / unitMs - whole * 10 ** decimals)
      .padStart(decimals, '0')
      .replace(/0+$/, '');
    return fraction === '' ? `${whole}${unit}` : `${whole}.${fraction}${unit}`;
  }
  return `${ms}ms`;
}
