/**
 * @module server/webhooks/batcher
 * Gathers events into batches of at most 100, each sent at most WEBHOOK_BATCH_MS after its
 * first event (0 = at the end of the current task). A batch gets its id and its body here,
 * once: every receiver and every retry sends exactly these bytes under this id.
 */
import { randomUUID } from "node:crypto";
import type { WebhookBatch, WebhookEvent } from "../../shared/webhooks.ts";
import type { QueuedBatch } from "./delivery.ts";

export const MAX_BATCH_EVENTS = 100;

export class Batcher {
  private pending: WebhookEvent[] = [];
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly batchMs: number,
    private readonly onBatch: (batch: QueuedBatch) => void,
  ) {}

  add(event: WebhookEvent): void {
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH_EVENTS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.batchMs);
  }

  /** Sends what is gathered now (also at shutdown). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    const now = Date.now();
    const batch: WebhookBatch = { id: randomUUID(), time: new Date(now).toISOString(), events };
    this.onBatch({ id: batch.id, body: JSON.stringify(batch), createdAt: now });
  }
}
