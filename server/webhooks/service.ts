/**
 * @module server/webhooks/service
 * Webhooks (SPEC §13) as one self-contained part of a server: `createWebhooks(options, deps)`
 * returns undefined when WEBHOOK_URLS is empty, else an object that listens to the library's
 * lifecycle events (`LibraryFacade.on`), turns them into webhook events (tracker), gathers them
 * into batches (batcher) and queues each batch for every receiver (Redis stream when the broker
 * has commands, bounded memory otherwise).
 *
 * It depends only on the lifecycle event listener, the cluster view (live instances) and the
 * broker's command capability. Nothing on the socket path awaits it.
 */
import type { WebhookEventName } from "../../shared/webhooks.ts";
import type { Broker } from "../broker/broker.ts";
import { supportsCommands } from "../broker/commands.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { HubEventListener } from "../core/events.ts";
import type { Logger } from "../core/types.ts";
import { Batcher } from "./batcher.ts";
import { MemoryQueue, type WebhookQueue } from "./memory-queue.ts";
import { Receiver, type ReceiverStatus } from "./receiver.ts";
import { RedisQueue } from "./redis-queue.ts";
import { Tracker } from "./tracker.ts";
import { MemoryTransitions, RedisTransitions } from "./transitions.ts";

export interface WebhookSettings {
  instanceId: string;
  webhookUrls: string[];
  webhookSecret?: string;
  webhookEvents: WebhookEventName[];
  webhookBatchMs: number;
  webhookTimeoutMs: number;
  webhookRetryWindowS: number;
  webhookVacateDelayMs: number;
}

export interface WebhookDeps {
  /** The library facade (or anything with its `on` and `view`). */
  facade: { on(listener: HubEventListener): () => void; readonly view: ClusterView };
  broker: Broker;
  log: Logger;
}

/** How long shutdown lets queued batches go out (memory) or reach Redis. */
const STOP_GRACE_MS = 2000;
const LIVE_CACHE_MS = 1000;

export class Webhooks {
  readonly receivers: Receiver[];
  private readonly queue: WebhookQueue;
  private readonly batcher: Batcher;
  private readonly tracker: Tracker;
  private readonly unsubscribe: () => void;
  private live?: { at: number; ids: Promise<string[]> };
  /** Events made since start (for the metrics). */
  events = 0;

  constructor(o: WebhookSettings & { webhookSecret: string }, private readonly deps: WebhookDeps) {
    this.receivers = [...new Set(o.webhookUrls)].map((url) => new Receiver(url));
    const delivery = { secret: o.webhookSecret, timeoutMs: o.webhookTimeoutMs, retryWindowMs: o.webhookRetryWindowS * 1000 };
    const { broker, log } = deps;
    this.queue = supportsCommands(broker)
      ? new RedisQueue({ redis: broker, instanceId: o.instanceId, receivers: this.receivers, delivery, log })
      : new MemoryQueue(this.receivers, delivery, log);
    this.batcher = new Batcher(o.webhookBatchMs, (batch) => this.queue.enqueue(batch));
    this.tracker = new Tracker({
      events: o.webhookEvents, vacateDelayMs: o.webhookVacateDelayMs, log,
      transitions: supportsCommands(broker) ? new RedisTransitions(broker, o.instanceId) : new MemoryTransitions(),
      liveInstances: () => this.liveInstances(o.instanceId),
      emit: (event) => {
        this.events += 1;
        this.batcher.add(event);
      },
    });
    this.unsubscribe = deps.facade.on(this.tracker.listener);
  }

  start(): void {
    this.queue.start();
  }

  /** Flushes the gathered events, stops timers and workers (pending batches stay in Redis for the other instances). */
  async stop(): Promise<void> {
    this.unsubscribe();
    this.batcher.flush();
    await this.tracker.stop();
    this.batcher.flush();
    await this.queue.stop(STOP_GRACE_MS);
  }

  /** Per receiver (cluster-wide with Redis), for `GET /api/webhooks`, the metrics and the dashboard. */
  status(): Promise<ReceiverStatus[]> {
    return this.queue.status();
  }

  /** Instance ids in the cluster view (cached for a second: a burst of leaves asks once). */
  private liveInstances(self: string): Promise<string[]> {
    const now = Date.now();
    if (!this.live || now - this.live.at > LIVE_CACHE_MS) {
      const ids = this.deps.facade.view.instances().then((list) => [...new Set([self, ...list.map((i) => i.id)])]);
      this.live = { at: now, ids };
      ids.catch(() => (this.live = undefined));
    }
    return this.live.ids;
  }
}

export function createWebhooks(o: WebhookSettings, deps: WebhookDeps): Webhooks | undefined {
  if (o.webhookUrls.length === 0 || o.webhookSecret === undefined) return undefined;
  return new Webhooks({ ...o, webhookSecret: o.webhookSecret }, deps);
}
