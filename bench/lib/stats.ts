/**
 * @module bench/lib/stats
 * Small statistics over samples: median, nearest-rank percentiles, and number formatting for
 * the report. Empty inputs give NaN (shown as "n/a"), never a throw.
 */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** 1234567 → "1.23M", 12345 → "12.3k", 12.345 → "12.3". */
export function compact(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** "0.93×" */
export function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "n/a";
}

export function kib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(2)} KiB` : "n/a";
}

/** "0.51–1.00" over per-repetition figures: the spread a median hides. */
export function spread(values: readonly number[], format: (v: number) => string = (v) => v.toFixed(2)): string {
  if (values.length === 0) return "n/a";
  return `${format(Math.min(...values))}–${format(Math.max(...values))}`;
}
