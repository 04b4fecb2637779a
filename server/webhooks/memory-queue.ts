/**
 * @module server/webhooks/memory-queue
 * The queue without Redis: per receiver a bounded FIFO of batches and one worker that sends
 * them one at a time (order kept; a dead receiver only fills its own queue). When a queue is
 * full the oldest waiting batch is dropped, counted as failed and logged (at most once a second,
 * with the count) — never silently. Batches still queued at shutdown are lost (logged).
 */
import type { Logger } from "../core/types.ts";
import { deliverWithRetries, type DeliverySettings, type QueuedBatch } from "./delivery.ts";
import type { Receiver, ReceiverStatus } from "./receiver.ts";

/** Batches held per receiver (100 events each at most). */
export const MEMORY_QUEUE_LIMIT = 10_000;

export interface WebhookQueue {
  enqueue(batch: QueuedBatch): void;
  start(): void;
  /** Stops the workers; waits at most `graceMs` for queued batches to go out first. */
  stop(graceMs: number): Promise<void>;
  status(): Promise<ReceiverStatus[]>;
}

/** Logs dropped batches at most once a second per receiver, with how many since the last line. */
export class OverflowLog {
  private unlogged = 0;
  private lastAt = 0;

  constructor(
    private readonly log: Logger,
    private readonly receiver: Receiver,
  ) {}

  dropped(n = 1): void {
    this.unlogged += n;
    const now = Date.now();
    if (now - this.lastAt < 1000) return;
    this.log.warn({ receiver: this.receiver.shownUrl, dropped: this.unlogged, total: this.receiver.counters.overflowed }, "webhook queue full: oldest batches dropped");
    this.unlogged = 0;
    this.lastAt = now;
  }
}

class ReceiverWorker {
  readonly items: QueuedBatch[] = [];
  private wake?: () => void;
  private running?: Promise<void>;
  private readonly overflow: OverflowLog;

  constructor(
    readonly receiver: Receiver,
    private readonly o: DeliverySettings,
    private readonly limit: number,
    private readonly log: Logger,
    private readonly abort: AbortSignal,
  ) {
    this.overflow = new OverflowLog(log, receiver);
  }

  push(batch: QueuedBatch): void {
    this.items.push(batch);
    if (this.items.length > this.limit) {
      // Index 0 may be in flight; drop the oldest one waiting behind it.
      this.items.splice(1, 1);
      this.receiver.counters.overflowed += 1;
      this.overflow.dropped();
    }
    this.wake?.();
  }

  start(): void {
    this.running ??= this.loop();
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    while (!this.abort.aborted) {
      const batch = this.items[0];
      if (!batch) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const outcome = await deliverWithRetries(this.receiver, batch, this.o, this.abort);
      if (outcome === "aborted") return;
      if (outcome === "expired") this.log.warn({ receiver: this.receiver.shownUrl, batch: batch.id, lastError: this.receiver.counters.lastError }, "webhook batch dropped after the retry window");
      this.items.shift();
    }
  }

  stopWaiting(): void {
    this.wake?.();
  }
}

export class MemoryQueue implements WebhookQueue {
  private readonly workers: ReceiverWorker[];
  private readonly controller = new AbortController();

  constructor(
    receivers: Receiver[],
    o: DeliverySettings,
    private readonly log: Logger,
    limit = MEMORY_QUEUE_LIMIT,
  ) {
    this.workers = receivers.map((r) => new ReceiverWorker(r, o, limit, log, this.controller.signal));
  }

  enqueue(batch: QueuedBatch): void {
    for (const w of this.workers) w.push(batch);
  }

  start(): void {
    for (const w of this.workers) w.start();
  }

  async stop(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.workers.some((w) => w.items.length > 0)) await new Promise((r) => setTimeout(r, 20));
    this.controller.abort();
    for (const w of this.workers) {
      w.stopWaiting();
      if (w.items.length > 0) this.log.warn({ receiver: w.receiver.shownUrl, lost: w.items.length }, "webhook batches not delivered before shutdown (no Redis to keep them)");
    }
    await Promise.all(this.workers.map((w) => w.idle()));
  }

  async status(): Promise<ReceiverStatus[]> {
    return this.workers.map(({ receiver: r, items }) => ({
      url: r.shownUrl, delivered: r.counters.delivered, failed: r.counters.expired + r.counters.overflowed,
      pending: items.length, lastError: r.counters.lastError, lastSuccessAt: r.counters.lastSuccessAt,
    }));
  }
}
