/**
 * @module shared/client/backoff
 * The SDK's reconnect settings: defaults and validation. The delays come from the project's one
 * backoff helper (shared/backoff.ts), re-exported here.
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

export { backoffBounds, backoffDelay } from "../backoff.ts";
