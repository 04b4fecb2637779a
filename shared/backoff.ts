/**
 * @module shared/backoff
 * The project's one exponential backoff with jitter, used by the client SDK's reconnect, the
 * Redis broker's reconnect, the dashboard's live channel and the webhook retries. Pure: the
 * random source is a parameter, so the bounds can be tested exactly.
 *
 * Attempt `n` (0-based) has the ceiling `min(maxDelayMs, minDelayMs × factor^n)` and draws its
 * delay uniformly from `[ceiling × (1 − jitter), ceiling]`: `jitter: 1` is "full jitter" (AWS
 * architecture blog), `jitter: 0` a fixed schedule.
 */

export interface BackoffPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  /** Growth per attempt (≥ 1). */
  factor: number;
  /** Share of the ceiling that is random, within [0, 1]. */
  jitter: number;
}

/** The delay range of attempt `attempt` (0-based): `[ceiling × (1 − jitter), ceiling]`. */
export function backoffBounds(attempt: number, o: BackoffPolicy): { min: number; max: number } {
  // The exponent is capped so that a long outage cannot overflow to Infinity/NaN.
  const ceiling = Math.min(o.maxDelayMs, o.minDelayMs * o.factor ** Math.min(Math.max(0, attempt), 64));
  return { min: ceiling * (1 - o.jitter), max: ceiling };
}

/** A delay drawn uniformly within `backoffBounds(attempt)`; `random()` must be in [0, 1). */
export function backoffDelay(attempt: number, o: BackoffPolicy, random: () => number = Math.random): number {
  const { min, max } = backoffBounds(attempt, o);
  const r = Math.min(Math.max(random(), 0), 1);
  return min + (max - min) * r;
}
