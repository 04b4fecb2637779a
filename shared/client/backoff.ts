/**
 * @module shared/client/backoff
 * Exponential backoff with jitter. Pure functions: the random source is a parameter, so the
 * bounds can be tested exactly.
 */
import type { ReconnectOptions } from "./types.ts";

export const DEFAULT_RECONNECT: ReconnectOptions = Object.freeze({
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 1,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** Fills defaults and rejects values that would make the delays meaningless. */
export function resolveReconnect(input: Partial<ReconnectOptions> = {}): ReconnectOptions {
  const o = { ...DEFAULT_RECONNECT, ...input };
  const bad = (what: string) => new RangeError(`switchboard client: reconnect.${what}`);
  if (!(o.minDelayMs >= 0)) throw bad("minDelayMs must be ≥ 0");
  if (!(o.maxDelayMs >= o.minDelayMs)) throw bad("maxDelayMs must be ≥ minDelayMs");
  if (!(o.factor >= 1)) throw bad("factor must be ≥ 1");
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw bad("jitter must be within [0, 1]");
  if (!(o.maxAttempts >= 1)) throw bad("maxAttempts must be ≥ 1");
  return o;
}

/** The delay range of attempt `attempt` (0-based): `[ceiling × (1 − jitter), ceiling]`. */
export function backoffBounds(attempt: number, o: ReconnectOptions): { min: number; max: number } {
  const ceiling = Math.min(o.maxDelayMs, o.minDelayMs * o.factor ** Math.max(0, attempt));
  return { min: ceiling * (1 - o.jitter), max: ceiling };
}

/** A delay drawn uniformly within `backoffBounds(attempt)`; `random()` must be in [0, 1). */
export function backoffDelay(attempt: number, o: ReconnectOptions, random: () => number = Math.random): number {
  const { min, max } = backoffBounds(attempt, o);
  const r = Math.min(Math.max(random(), 0), 1);
  return min + (max - min) * r;
}
