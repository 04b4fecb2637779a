/**
 * @module server/webhooks/receiver
 * One configured receiver URL: its stable id (names its Redis consumer group, lock and
 * counters, so every instance agrees on it), its URL with credentials redacted (all that is
 * ever shown: API, metrics, logs), and this instance's counters.
 */
import { createHash } from "node:crypto";

export type { ReceiverStatus } from "../../shared/webhooks.ts";

/** Counters of this instance (the metrics); the Redis queue also keeps cluster-wide ones. */
export interface ReceiverCounters {
  delivered: number;
  /** Batches dropped after WEBHOOK_RETRY_WINDOW_S. */
  expired: number;
  /** Batches dropped because the bounded queue was full. */
  overflowed: number;
  /** Attempts that did not get a 2xx in time (each is retried or, at the end, expired). */
  attemptFailures: number;
  lastError: string | null;
  lastSuccessAt: string | null;
}

export class Receiver {
  readonly id: string;
  readonly shownUrl: string;
  readonly counters: ReceiverCounters = { delivered: 0, expired: 0, overflowed: 0, attemptFailures: 0, lastError: null, lastSuccessAt: null };

  constructor(readonly url: string) {
    this.id = createHash("sha256").update(url).digest("hex").slice(0, 16);
    this.shownUrl = redactUrl(url);
  }

  attemptFailed(error: string): void {
    this.counters.attemptFailures += 1;
    this.counters.lastError = error;
  }

  delivered(at: number): void {
    this.counters.delivered += 1;
    this.counters.lastSuccessAt = new Date(at).toISOString();
  }
}

/** `https://user:pass@host/path?token=x` → `https://user:***@host/path?token=***` (query values may be credentials too). */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, "***");
  return u.toString().replaceAll("%2A%2A%2A", "***");
}
