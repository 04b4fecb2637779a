/**
 * @module server/cluster/event-feed
 * The cluster-wide admin event stream. Each instance turns its hub's lifecycle events into
 * admin stream events and publishes them on `sb:events`, batched: at most one message per
 * `batchMs`, with at most `maxPerBatch` events in it; beyond that, a storm is summarized as
 * per-kind counts (`overflow`), so thousands of connects do not become thousands of Redis
 * messages. Every instance hands other instances' events to its admin channel, which applies
 * its own aggregation above its configured rate. An instance ignores its own batches (it
 * streams its own events locally).
 */
import type { AdminStreamEventName } from "../../shared/admin.ts";
import { toStreamEvent } from "./stream-events.ts";
import type { StreamEvent } from "../../shared/admin.ts";
import { parseJsonObject } from "../../shared/json.ts";
import type { Broker } from "../broker/broker.ts";
import type { HubEvents } from "../core/events.ts";
import { EVENTS_CHANNEL } from "./keys.ts";

export type EventCounts = Partial<Record<AdminStreamEventName, number>>;

/** Where remote events go: the admin channel. */
export interface AdminSink {
  readonly size: number;
  publish(event: StreamEvent): void;
  /** Events another instance only counted (a storm): they count toward the rate and the aggregate. */
  countOnly(counts: EventCounts): void;
}

interface Batch {
  from: string;
  events: StreamEvent[];
  overflow?: EventCounts;
}

export interface EventFeedOptions {
  instanceId: string;
  broker: Broker;
  /** @default 100 */
  batchMs?: number;
  /** @default 200 */
  maxPerBatch?: number;
}

export class EventFeed {
  private buffer: StreamEvent[] = [];
  private overflow: EventCounts = {};
  private overflowing = false;
  private timer?: ReturnType<typeof setTimeout>;
  private unsubscribe?: () => void;
  private sink?: AdminSink;

  constructor(private readonly o: EventFeedOptions) {}

  /** Shares this instance's events from now on. */
  start(events: HubEvents): void {
    this.unsubscribe ??= events.on((e) => this.share(toStreamEvent(e, this.o.instanceId)));
  }

  /** Where other instances' events (and instance up/down) are delivered. */
  forwardTo(sink: AdminSink): void {
    this.sink = sink;
  }

  /** Delivers an event to the local admin channel only (instance up/down, seen by every instance itself). */
  deliver(event: StreamEvent): void {
    if (this.sink && this.sink.size > 0) this.sink.publish(event);
  }

  share(event: StreamEvent): void {
    if (this.buffer.length < (this.o.maxPerBatch ?? 200)) this.buffer.push(event);
    else {
      this.overflow[event.event] = (this.overflow[event.event] ?? 0) + 1;
      this.overflowing = true;
    }
    this.timer ??= setTimeout(() => this.send(), this.o.batchMs ?? 100);
  }

  receive(message: string): void {
    const batch = parseJsonObject<Batch>(message);
    if (!batch || batch.from === this.o.instanceId || !this.sink || this.sink.size === 0) return;
    if (Array.isArray(batch.events)) for (const event of batch.events) if (event && typeof event.event === "string") this.sink.publish(event);
    if (batch.overflow && typeof batch.overflow === "object") this.sink.countOnly(batch.overflow);
  }

  stop(): void {
    this.unsubscribe?.();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Publishes the batch; a failed publish (Redis down) drops it: the stream is live, not a log. */
  private send(): void {
    this.timer = undefined;
    const batch: Batch = { from: this.o.instanceId, events: this.buffer };
    if (this.overflowing) batch.overflow = this.overflow;
    this.buffer = [];
    this.overflow = {};
    this.overflowing = false;
    if (!this.o.broker.connected) return;
    this.o.broker.publish(EVENTS_CHANNEL, JSON.stringify(batch)).catch(() => undefined);
  }
}
