/**
 * @module server/cluster/presence
 * Publishes this instance's presence to Redis: its instance record, its clients (full
 * ClientInfo), and per-room and per-user counts (see keys.ts for the layout).
 *
 * Contract:
 * - Off the message path: the hub's lifecycle events (connect, authenticate, disconnect,
 *   join, leave) only mark clients, rooms and users dirty; a timer flushes what is dirty every
 *   `flushMs` in one atomic script call per chunk. Messages never cause a write.
 * - The records carry a TTL of `ttlMs` and are rewritten at least every `ttlMs / 3`, so a
 *   dead instance (and its clients) disappears from the cluster view within `ttlMs`.
 * - After a failed write or a broker outage, the next flush republishes everything (the keys
 *   may have expired, or Redis may have restarted empty).
 * - `stop()` removes the records at once, so a clean shutdown does not wait for the TTL.
 */
import { hostname } from "node:os";
import type { Broker } from "../broker/broker.ts";
import type { CommandCapable } from "../broker/commands.ts";
import type { HubEvent } from "../core/events.ts";
import type { Hub } from "../core/hub.ts";
import { toClientInfo } from "../core/queries.ts";
import type { Logger } from "../core/types.ts";
import { FLUSH_SCRIPT, INSTANCES_KEY, instanceKeys, type InstanceKeys, type InstanceMeta } from "./keys.ts";
import type { RateMeter } from "./rates.ts";

export interface PresenceOptions {
  hub: Hub;
  broker: Broker & CommandCapable;
  rates: RateMeter;
  instanceId: string;
  /** Lifetime of the records; they are refreshed every third of it. */
  ttlMs: number;
  /** How often dirty entries are written. @default 200 */
  flushMs?: number;
  log: Logger;
}

/** Field operations per script call: bounds one call's size during a full republish. */
const CHUNK = 500;

type Pair = [string, string];
interface Batch {
  clients: Pair[];
  rooms: Pair[];
  users: Pair[];
}

export class PresencePublisher {
  readonly startedAt = Date.now();
  readonly refreshMs: number;
  private readonly keys: InstanceKeys;
  private dirtyClients = new Set<string>();
  private dirtyRooms = new Set<string>();
  private dirtyUsers = new Set<string>();
  /** Rooms of each client as last published, to mark them dirty when the client leaves. */
  private readonly publishedRooms = new Map<string, string[]>();
  private needsFull = true;
  private lastWrite = 0;
  private flushing?: Promise<void>;
  private timer?: ReturnType<typeof setInterval>;
  private unsubscribe?: () => void;
  private stopped = false;
  private failing = false;

  constructor(private readonly o: PresenceOptions) {
    this.keys = instanceKeys(o.instanceId);
    this.refreshMs = Math.max(100, Math.floor(o.ttlMs / 3));
  }

  /** Starts tracking and the flush timer; the first flush publishes everything. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.unsubscribe = this.o.hub.events.on((e) => this.track(e));
    this.o.broker.onHealth((up) => {
      this.needsFull = true;
      if (up) void this.flush();
    });
    this.timer = setInterval(() => void this.tick(), this.o.flushMs ?? 200);
    void this.flush();
  }

  /** Flushes now (tests and `start`); resolves when this flush (or the one in flight) ends. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops publishing and deletes this instance's records (best effort). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.flushing?.catch(() => undefined);
    const { meta, clients, rooms, users } = this.keys;
    try {
      await this.o.broker.command("DEL", meta, clients, rooms, users);
      await this.o.broker.command("SREM", INSTANCES_KEY, this.o.instanceId);
    } catch {
      // Redis is down: the records expire on their own within the TTL.
    }
  }

  /** The instance record as published now. */
  meta(): InstanceMeta {
    const hub = this.o.hub;
    const rates = this.o.rates.current();
    return {
      id: this.o.instanceId, host: hostname(), pid: process.pid, startedAt: this.startedAt, lastSeen: Date.now(), refreshMs: this.refreshMs,
      connections: hub.sessions.size, authenticated: hub.authenticated.size, encrypted: hub.registry.encryptedCount,
      messagesInPerSec: rates.inPerSec, messagesOutPerSec: rates.outPerSec, shuttingDown: hub.isShuttingDown,
    };
  }

  private track(e: HubEvent): void {
    switch (e.type) {
      case "client:connected":
        this.dirtyClients.add(e.clientId);
        return;
      case "client:authenticated":
        this.dirtyClients.add(e.clientId);
        if (e.userId !== undefined) this.dirtyUsers.add(e.userId);
        return;
      case "client:disconnected":
        this.dirtyClients.add(e.clientId);
        if (e.userId !== undefined) this.dirtyUsers.add(e.userId);
        for (const room of this.publishedRooms.get(e.clientId) ?? []) this.dirtyRooms.add(room);
        return;
      case "room:joined":
      case "room:left":
        this.dirtyClients.add(e.clientId);
        this.dirtyRooms.add(e.room);
        return;
      default:
        return; // emits change nothing that presence shows
    }
  }

  private tick(): void {
    if (this.stopped || this.flushing) return;
    const dirty = this.needsFull || this.dirtyClients.size + this.dirtyRooms.size + this.dirtyUsers.size > 0;
    if (dirty || Date.now() - this.lastWrite >= this.refreshMs) void this.flush();
  }

  private async write(): Promise<void> {
    if (this.stopped) return;
    if (!this.o.broker.connected) {
      this.needsFull = true;
      return;
    }
    const full = this.needsFull;
    this.needsFull = false;
    const batch = full ? this.everything() : this.takeDirty();
    try {
      const intact = await this.send(batch, full);
      // Records gone behind our back (see FLUSH_SCRIPT): what was not dirty is missing too.
      if (!intact && !full) this.needsFull = true;
      await this.o.broker.command("SADD", INSTANCES_KEY, this.o.instanceId);
      this.lastWrite = Date.now();
      if (this.failing) this.o.log.info({ instanceId: this.o.instanceId }, "cluster presence republished");
      this.failing = false;
    } catch (err) {
      // Whatever was taken from the dirty sets is covered by the full republish next time.
      this.needsFull = true;
      if (!this.failing && !this.stopped) this.o.log.warn({ err: String(err) }, "cluster presence write failed; republishing everything when Redis answers");
      this.failing = true;
    }
  }

  /**
   * One script call per chunk; only the first call of a full republish resets the hashes.
   * Resolves false when the first call found the records gone.
   */
  private async send(batch: Batch, reset: boolean): Promise<boolean> {
    const ops: Array<[keyof Batch, Pair]> = [];
    for (const section of ["clients", "rooms", "users"] as const) for (const pair of batch[section]) ops.push([section, pair]);
    let intact = true;
    for (let at = 0; at === 0 || at < ops.length; at += CHUNK) {
      const chunk: Batch = { clients: [], rooms: [], users: [] };
      for (const [section, pair] of ops.slice(at, at + CHUNK)) chunk[section].push(pair);
      const existed = await this.eval(chunk, reset && at === 0);
      if (at === 0) intact = Number(existed) === 1;
    }
    return intact;
  }

  private eval(chunk: Batch, reset: boolean): Promise<unknown> {
    const { meta, clients, rooms, users } = this.keys;
    const args: string[] = [String(this.o.ttlMs), reset ? "1" : "0", JSON.stringify(this.meta())];
    for (const pairs of [chunk.clients, chunk.rooms, chunk.users]) {
      args.push(String(pairs.length));
      for (const [field, value] of pairs) args.push(field, value);
    }
    return this.o.broker.command("EVAL", FLUSH_SCRIPT, 4, meta, clients, rooms, users, ...args);
  }

  /** The dirty entries with their current values ("" / "0" = gone), clearing the dirty sets. */
  private takeDirty(): Batch {
    const registry = this.o.hub.registry;
    const batch: Batch = { clients: [], rooms: [], users: [] };
    for (const id of this.dirtyClients) batch.clients.push([id, this.clientValue(id)]);
    for (const room of this.dirtyRooms) batch.rooms.push([room, String(registry.membersOf(room)?.size ?? 0)]);
    for (const user of this.dirtyUsers) batch.users.push([user, String(registry.clientsOfUser(user)?.size ?? 0)]);
    this.dirtyClients = new Set();
    this.dirtyRooms = new Set();
    this.dirtyUsers = new Set();
    return batch;
  }

  /** Every client, room and user of this instance (after a reset). */
  private everything(): Batch {
    const registry = this.o.hub.registry;
    this.dirtyClients = new Set();
    this.dirtyRooms = new Set();
    this.dirtyUsers = new Set();
    this.publishedRooms.clear();
    const batch: Batch = { clients: [], rooms: [], users: [] };
    const users = new Map<string, number>();
    for (const record of registry.all()) {
      batch.clients.push([record.id, this.clientValue(record.id)]);
      if (record.userId !== undefined) users.set(record.userId, (users.get(record.userId) ?? 0) + 1);
    }
    for (const [room, members] of registry.roomSizes()) batch.rooms.push([room, String(members.size)]);
    for (const [user, n] of users) batch.users.push([user, String(n)]);
    return batch;
  }

  /** The client's JSON ClientInfo, or "" when it is gone; remembers its rooms. */
  private clientValue(id: string): string {
    const record = this.o.hub.registry.get(id);
    if (!record) {
      this.publishedRooms.delete(id);
      return "";
    }
    const info = toClientInfo(record);
    this.publishedRooms.set(id, info.rooms);
    return JSON.stringify(info);
  }
}
