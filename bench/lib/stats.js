// Small statistics helpers. Percentiles use the nearest-rank method on a sorted copy.

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rounds to `digits` significant-ish decimals for display: 12345 → 12345, 1.23456 → 1.23, 0.01234 → 0.0123. */
export function round(value, digits = 3) {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value);
  if (abs === 0) return 0;
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  return Number(value.toFixed(decimals));
}
