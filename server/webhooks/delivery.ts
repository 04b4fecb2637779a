/**
 * @module server/webhooks/delivery
 * Sending one batch to one receiver: a signed `POST` (fresh `t` per attempt, the same
 * `Switchboard-Webhook-Id` every time), delivered by a 2xx within WEBHOOK_TIMEOUT_MS. Any other
 * status (redirects included: `redirect: "manual"`, a receiver must answer itself), a timeout,
 * a refused or reset connection is a failed attempt, retried after `backoffDelay` with full
 * jitter until the next attempt would start after the batch's retry window (counted from when
 * the batch was made), then the batch is dropped.
 */
import { createHmac } from "node:crypto";
import { backoffDelay, type BackoffPolicy } from "../../shared/backoff.ts";
import { WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER } from "../../shared/webhooks.ts";
import type { Receiver } from "./receiver.ts";

/** A batch as queued: its id, the exact body every attempt sends, and when it was made (ms). */
export interface QueuedBatch {
  id: string;
  body: string;
  createdAt: number;
}

export interface DeliverySettings {
  secret: string;
  timeoutMs: number;
  retryWindowMs: number;
}

export type DeliveryOutcome = "delivered" | "expired" | "aborted";

/** Full jitter: attempt n waits uniformly within [0, min(cap, 250 ms × 2^n)], cap = a tenth of the window (250 ms to 30 s). */
export function retryPolicy(retryWindowMs: number): BackoffPolicy {
  return { minDelayMs: 250, maxDelayMs: Math.max(250, Math.min(30_000, retryWindowMs / 10)), factor: 2, jitter: 1 };
}

export function signatureHeader(secret: string, body: string, timeS: number): string {
  return `t=${timeS},v1=${createHmac("sha256", secret).update(`${timeS}.${body}`).digest("hex")}`;
}

/** One attempt: undefined when delivered, else what went wrong (for `lastError`). */
export async function attemptDelivery(url: string, batch: QueuedBatch, o: DeliverySettings, abort: AbortSignal): Promise<string | undefined> {
  const signal = AbortSignal.any([abort, AbortSignal.timeout(o.timeoutMs)]);
  try {
    const res = await fetch(url, {
      method: "POST",
      body: batch.body,
      redirect: "manual",
      signal,
      headers: {
        "content-type": "application/json",
        "user-agent": "Switchboard-Webhooks/1",
        [WEBHOOK_ID_HEADER]: batch.id,
        [WEBHOOK_SIGNATURE_HEADER]: signatureHeader(o.secret, batch.body, Math.floor(Date.now() / 1000)),
      },
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return undefined;
    return res.status >= 300 && res.status < 400 ? `HTTP ${res.status} redirect (not followed)` : `HTTP ${res.status}`;
  } catch (err) {
    if (abort.aborted) return "aborted";
    if (signal.aborted) return `no answer within ${o.timeoutMs} ms`;
    return (err as Error).message || String(err);
  }
}

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (abort.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      abort.removeEventListener("abort", done);
      resolve();
    }
    abort.addEventListener("abort", done, { once: true });
  });
}

/** Attempts until delivered, expired (retry window over) or aborted (shutdown, lost lease). */
export async function deliverWithRetries(receiver: Receiver, batch: QueuedBatch, o: DeliverySettings, abort: AbortSignal): Promise<DeliveryOutcome> {
  const policy = retryPolicy(o.retryWindowMs);
  for (let attempt = 0; ; attempt++) {
    if (abort.aborted) return "aborted";
    const error = await attemptDelivery(receiver.url, batch, o, abort);
    if (error === undefined) {
      receiver.delivered(Date.now());
      return "delivered";
    }
    if (abort.aborted) return "aborted";
    receiver.attemptFailed(error);
    const delay = backoffDelay(attempt, policy);
    if (Date.now() + delay > batch.createdAt + o.retryWindowMs) {
      receiver.counters.expired += 1;
      return "expired";
    }
    await sleep(delay, abort);
  }
}
