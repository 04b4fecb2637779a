/**
 * @module server/webhooks/redis-queue
 * The queue with Redis (SPEC §13): every batch goes into one stream, `sb:wh:batches` (capped
 * with MAXLEN ~ 100000), and each receiver has its own consumer group on it (named by the
 * receiver id), so receivers progress independently and a batch stays pending in a group until
 * that receiver got it.
 *
 * Order per receiver, cluster-wide: one instance at a time holds a receiver's lease
 * (`sb:wh:lease:<id>`, PX {@link LEASE_MS}, renewed every third of it) and sends that group's
 * batches one by one. On every turn the holder first claims (XAUTOCLAIM, idle ≥ 0) entries still
 * pending on any consumer — those of an instance that was killed mid-delivery — then reads new
 * ones (XREADGROUP `>`); it XACKs once the batch was delivered or expired. An instance killed
 * with pending batches therefore has them sent by whichever survivor takes the lease after it
 * lapses: at least once, duplicates possible (receivers dedupe by `Switchboard-Webhook-Id`).
 *
 * Redis down: batches wait in a bounded in-memory outbox (oldest dropped, counted and logged when
 * full) and go into the stream, in order, when Redis answers again. Nothing here ever blocks a
 * Redis connection (no BLOCK reads on the shared broker connection): an idle holder polls every
 * {@link POLL_MS}, and a local batch wakes it at once.
 *
 * Cluster-wide counters live in `sb:wh:stats:<id>` (delivered, failed, lastError, lastSuccessAt).
 */
import { backoffDelay } from "../../shared/backoff.ts";
import type { CommandCapable } from "../broker/commands.ts";
import type { Logger } from "../core/types.ts";
import { deliverWithRetries, type DeliveryOutcome, type DeliverySettings, type QueuedBatch } from "./delivery.ts";
import { MEMORY_QUEUE_LIMIT, OverflowLog, type WebhookQueue } from "./memory-queue.ts";
import type { Receiver, ReceiverStatus } from "./receiver.ts";

export const STREAM_KEY = "sb:wh:batches";
export const LEASE_MS = 5000;
const POLL_MS = 200;
const STREAM_MAXLEN = 100_000;
const REDIS_RETRY = { minDelayMs: 100, maxDelayMs: 2000, factor: 2, jitter: 1 };

const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Fields = string[];
type Entry = [string, Fields | null];

interface StreamBatch extends QueuedBatch {
  entryId: string;
}

function toBatch([entryId, fields]: Entry): StreamBatch | undefined {
  if (!fields) return undefined;
  const get = (name: string) => fields[fields.indexOf(name) + 1] ?? "";
  return { entryId, id: get("i"), body: get("b"), createdAt: Number(get("c")) };
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

export interface RedisQueueOptions {
  redis: CommandCapable;
  instanceId: string;
  receivers: Receiver[];
  delivery: DeliverySettings;
  log: Logger;
  outboxLimit?: number;
  leaseMs?: number;
}

export class RedisQueue implements WebhookQueue {
  private readonly outbox: QueuedBatch[] = [];
  private readonly controller = new AbortController();
  private readonly workers: RedisReceiverWorker[];
  private readonly overflowLogs: OverflowLog[];
  private wakeOutbox?: () => void;
  private flushing?: Promise<void>;

  constructor(private readonly o: RedisQueueOptions) {
    this.workers = o.receivers.map((r) => new RedisReceiverWorker(r, o, this.controller.signal));
    this.overflowLogs = o.receivers.map((r) => new OverflowLog(o.log, r));
  }

  enqueue(batch: QueuedBatch): void {
    this.outbox.push(batch);
    if (this.outbox.length > (this.o.outboxLimit ?? MEMORY_QUEUE_LIMIT)) {
      this.outbox.splice(1, 1);
      this.o.receivers.forEach((r, i) => ((r.counters.overflowed += 1), this.overflowLogs[i]!.dropped()));
    }
    this.wakeOutbox?.();
  }

  start(): void {
    this.flushing ??= this.flushLoop();
    for (const w of this.workers) w.start();
  }

  /** Gives the outbox up to `graceMs` to reach Redis, then stops; pending batches stay in Redis for the others. */
  async stop(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.outbox.length > 0) await new Promise((r) => setTimeout(r, 20));
    if (this.outbox.length > 0) this.o.log.warn({ lost: this.outbox.length }, "webhook batches not written to Redis before shutdown");
    this.controller.abort();
    this.wakeOutbox?.();
    await Promise.all([this.flushing, ...this.workers.map((w) => w.stop())]);
  }

  async status(): Promise<ReceiverStatus[]> {
    let groups = new Map<string, Record<string, unknown>>();
    try {
      const reply = (await this.o.redis.command("XINFO", "GROUPS", STREAM_KEY)) as unknown[][];
      groups = new Map(reply.map((g) => pairs(g)).map((g) => [String(g.name), g]));
    } catch {
      // No stream yet, or Redis down: the local counters below still answer.
    }
    return Promise.all(this.workers.map((w) => w.status(groups.get(w.receiver.id), this.outbox.length)));
  }

  private async flushLoop(): Promise<void> {
    let failures = 0;
    while (!this.controller.signal.aborted) {
      const batch = this.outbox[0];
      if (!batch) {
        await new Promise<void>((resolve) => (this.wakeOutbox = resolve));
        this.wakeOutbox = undefined;
        continue;
      }
      try {
        await this.o.redis.command("XADD", STREAM_KEY, "MAXLEN", "~", STREAM_MAXLEN, "*", "i", batch.id, "b", batch.body, "c", batch.createdAt);
        if (this.outbox[0] === batch) this.outbox.shift();
        if (failures > 0) this.o.log.info({ queued: this.outbox.length }, "webhook batches flow into Redis again");
        failures = 0;
        for (const w of this.workers) w.wake();
      } catch (err) {
        if (failures++ === 0) this.o.log.warn({ err: String(err), queued: this.outbox.length }, "webhook batches cannot reach Redis; holding them in memory");
        await new Promise((r) => setTimeout(r, backoffDelay(failures, REDIS_RETRY)));
      }
    }
  }
}

class RedisReceiverWorker {
  private readonly leaseKey: string;
  private readonly statsKey: string;
  private readonly leaseMs: number;
  private groupReady = false;
  /** Delivered or expired but not yet acknowledged (Redis failed in between): ack it before anything else. */
  private unacked?: { batch: StreamBatch; outcome: DeliveryOutcome };
  private wakeUp?: () => void;
  private running?: Promise<void>;
  private held = false;

  constructor(
    readonly receiver: Receiver,
    private readonly o: RedisQueueOptions,
    private readonly abort: AbortSignal,
  ) {
    this.leaseKey = `sb:wh:lease:${receiver.id}`;
    this.statsKey = `sb:wh:stats:${receiver.id}`;
    this.leaseMs = o.leaseMs ?? LEASE_MS;
  }

  start(): void {
    this.running ??= this.loop();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.wake();
    await this.running;
    if (this.held) await this.o.redis.command("EVAL", RELEASE, 1, this.leaseKey, this.o.instanceId).catch(() => undefined);
  }

  async status(group: Record<string, unknown> | undefined, outbox: number): Promise<ReceiverStatus> {
    const c = this.receiver.counters;
    const local: ReceiverStatus = {
      url: this.receiver.shownUrl, delivered: c.delivered, failed: c.expired + c.overflowed, pending: outbox,
      lastError: c.lastError, lastSuccessAt: c.lastSuccessAt,
    };
    try {
      const stats = pairs((await this.o.redis.command("HGETALL", this.statsKey)) as unknown[]);
      const inRedis = group ? Number(group.pending ?? 0) + Number(group.lag ?? 0) : 0;
      return {
        ...local, delivered: Number(stats.delivered ?? 0), failed: Number(stats.failed ?? 0) + c.overflowed, pending: outbox + inRedis,
        lastError: (stats.lastError as string | undefined) ?? null, lastSuccessAt: (stats.lastSuccessAt as string | undefined) ?? null,
      };
    } catch {
      return local;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.abort.aborted) {
      try {
        await this.turn();
        failures = 0;
      } catch (err) {
        if (failures++ === 0) this.o.log.warn({ err: String(err), receiver: this.receiver.shownUrl }, "webhook queue cannot read Redis; retrying");
        if (/NOGROUP/.test(String(err))) this.groupReady = false;
        await this.pause(backoffDelay(failures, REDIS_RETRY));
      }
    }
  }

  /** One step: hold the lease, then ack, claim or read one batch and deliver it. */
  private async turn(): Promise<void> {
    this.held = Number(await this.o.redis.command("EVAL", LEASE, 1, this.leaseKey, this.o.instanceId, this.leaseMs)) === 1;
    if (!this.held) return this.pause(this.leaseMs / 3);
    if (this.unacked) return this.acknowledge(this.unacked.batch, this.unacked.outcome);
    await this.ensureGroup();
    const batch = (await this.claimPending()) ?? (await this.readNew());
    if (!batch) return this.pause(POLL_MS);
    const outcome = await this.deliverHoldingLease(batch);
    if (outcome === "aborted") return;
    this.unacked = { batch, outcome };
    await this.acknowledge(batch, outcome);
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.o.redis.command("XGROUP", "CREATE", STREAM_KEY, this.receiver.id, "0", "MKSTREAM");
    } catch (err) {
      if (!/BUSYGROUP/.test(String(err))) throw err;
    }
    this.groupReady = true;
  }

  /** The oldest entry pending on any consumer of this group (a previous holder's, maybe a dead one's). */
  private async claimPending(): Promise<StreamBatch | undefined> {
    let cursor = "0-0";
    for (let i = 0; i < 100; i++) {
      const [next, entries] = (await this.o.redis.command("XAUTOCLAIM", STREAM_KEY, this.receiver.id, this.o.instanceId, 0, cursor, "COUNT", 1)) as [string, Entry[]];
      const batch = entries.map(toBatch).find((b) => b !== undefined);
      if (batch) return batch;
      if (next === "0-0") return undefined;
      cursor = next;
    }
    return undefined;
  }

  private async readNew(): Promise<StreamBatch | undefined> {
    const reply = (await this.o.redis.command("XREADGROUP", "GROUP", this.receiver.id, this.o.instanceId, "COUNT", 1, "STREAMS", STREAM_KEY, ">")) as [string, Entry[]][] | null;
    return reply?.[0]?.[1].map(toBatch).find((b) => b !== undefined);
  }

  /** Delivers while renewing the lease; stops (entry left pending) at shutdown or if another instance took the lease. */
  private async deliverHoldingLease(batch: StreamBatch): Promise<DeliveryOutcome> {
    const lost = new AbortController();
    const renew = setInterval(() => {
      void this.o.redis.command("EVAL", LEASE, 1, this.leaseKey, this.o.instanceId, this.leaseMs).then(
        (held) => Number(held) === 1 || lost.abort(),
        () => undefined, // Redis down: nobody can take the lease meanwhile; keep trying the receiver.
      );
    }, this.leaseMs / 3);
    const errorsBefore = this.receiver.counters.attemptFailures;
    try {
      return await deliverWithRetries(this.receiver, batch, this.o.delivery, AbortSignal.any([this.abort, lost.signal]));
    } finally {
      clearInterval(renew);
      if (this.receiver.counters.attemptFailures > errorsBefore) void this.o.redis.command("HSET", this.statsKey, "lastError", this.receiver.counters.lastError ?? "").catch(() => undefined);
    }
  }

  private async acknowledge(batch: StreamBatch, outcome: DeliveryOutcome): Promise<void> {
    await this.o.redis.command("XACK", STREAM_KEY, this.receiver.id, batch.entryId);
    this.unacked = undefined;
    if (outcome === "delivered") {
      await this.o.redis.command("HSET", this.statsKey, "lastSuccessAt", this.receiver.counters.lastSuccessAt ?? new Date().toISOString());
      await this.o.redis.command("HINCRBY", this.statsKey, "delivered", 1);
    } else {
      this.o.log.warn({ receiver: this.receiver.shownUrl, batch: batch.id, lastError: this.receiver.counters.lastError }, "webhook batch dropped after the retry window");
      await this.o.redis.command("HINCRBY", this.statsKey, "failed", 1);
    }
  }
}
