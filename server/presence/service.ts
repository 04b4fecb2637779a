/**
 * @module server/presence/service
 * Presence rooms (SPEC §12) on top of the hub's lifecycle events: it listens to joins, leaves
 * and disconnects of this instance, keeps membership in a cluster-wide store, and announces
 * `presence:join` / `presence:leave` to the room (through the hub's cluster-wide emit) when a
 * member appears or disappears. The store decides those transitions atomically, so each is
 * announced once however many instances see connections come and go.
 *
 * Rules:
 * - A member is a user (all its connections, on any instance) or an anonymous client.
 * - An explicit `leave` (or an operator's) takes the connection out at once. A disconnect waits
 *   `leaveGraceMs`: a reload or an SDK reconnect of the same user that re-joins within it keeps
 *   the member, so no leave/join pair is sent. (An anonymous client reconnects under a new id,
 *   so it is a new member; that cannot be told apart.)
 * - Join/leave go to every socket in the room but the one that caused them (its ack or its
 *   absence tells it). Above `maxMembers` the room still counts but sends no join/leave;
 *   `presence:overflow` is sent once, when the count first goes over.
 * - Dead instances (Redis): every `sweepMs` the holders of presence connections are compared with
 *   the live instances; one that is missing or stale on two sweeps in a row is taken out by the
 *   first survivor that claims it, which announces the resulting leaves.
 */
import { PresenceEvents, type PresenceEventData } from "../../shared/presence.ts";
import type { HubEvent, HubEventListener } from "../core/events.ts";
import type { Target } from "../core/target.ts";
import type { Logger } from "../core/types.ts";
import { memberKeyOf, type MemberKey, type PresenceStore, type RosterPage } from "./store.ts";

export interface PresenceClient {
  userId?: string;
  info?: Record<string, unknown>;
  rooms: { has(room: string): boolean };
  /** False while the client is closing (its room events then come from the disconnect). */
  open: boolean;
}

export interface PresenceHost {
  instanceId: string;
  isPresenceRoom(room: string): boolean;
  client(clientId: string): PresenceClient | undefined;
  emit(target: Target, event: string, data: unknown): Promise<unknown>;
  on(listener: HubEventListener): () => void;
  /** Live instances with their health (Redis only): for the dead-instance sweep. */
  instances?(): Promise<{ id: string; healthy: boolean }[]>;
  log: Logger;
}

export interface PresenceOptions {
  leaveGraceMs: number;
  maxMembers: number;
  sweepMs: number;
}

interface LocalMembership {
  key: MemberKey;
  userId?: string;
  info?: Record<string, unknown>;
  rooms: Set<string>;
}

export class PresenceService {
  private readonly local = new Map<string, LocalMembership>();
  private readonly graceTimers = new Set<ReturnType<typeof setTimeout>>();
  private readonly suspects = new Set<string>();
  private detach?: () => void;
  private sweeper?: ReturnType<typeof setInterval>;
  private sweeping = false;

  constructor(
    private readonly host: PresenceHost,
    private readonly store: PresenceStore,
    private readonly o: PresenceOptions,
  ) {}

  start(): void {
    this.detach ??= this.host.on((e) => this.onEvent(e));
    if (this.host.instances && !this.sweeper) this.sweeper = setInterval(() => void this.sweep(), this.o.sweepMs);
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const timer of this.graceTimers) clearTimeout(timer);
    this.graceTimers.clear();
  }

  /** The roster of a presence room (the `presence` request and `GET /api/rooms/:name/presence`). */
  roster(room: string, page: { limit: number; cursor?: string }): Promise<RosterPage> {
    return this.store.roster(room, page);
  }

  /** Puts this instance's memberships back after Redis came back empty (no events: nothing changed for clients). */
  async restore(): Promise<void> {
    for (const [clientId, m] of this.local) {
      for (const room of m.rooms) {
        await this.store.add({ room, key: m.key, userId: m.userId, clientId, instanceId: this.host.instanceId, info: m.info }).catch(() => undefined);
      }
    }
  }

  private onEvent(e: HubEvent): void {
    if (e.type === "room:joined") this.joined(e.clientId, e.room);
    else if (e.type === "room:left") this.left(e.clientId, e.room);
    else if (e.type === "client:disconnected") this.disconnected(e.clientId);
  }

  private joined(clientId: string, room: string): void {
    if (!this.host.isPresenceRoom(room)) return;
    let m = this.local.get(clientId);
    if (!m) {
      const client = this.host.client(clientId);
      if (!client) return;
      m = { key: memberKeyOf(client.userId, clientId), userId: client.userId, info: client.info, rooms: new Set() };
      this.local.set(clientId, m);
    }
    if (m.rooms.has(room)) return;
    m.rooms.add(room);
    const entry = { room, key: m.key, userId: m.userId, clientId, instanceId: this.host.instanceId, info: m.info };
    void this.store.add(entry).then(
      ({ changed, total }) => {
        if (!changed) return;
        if (total <= this.o.maxMembers) this.announce(PresenceEvents.JOIN, { room, userId: m.userId, clientId, info: m.info }, clientId);
        else if (total === this.o.maxMembers + 1) this.overflow(room, total);
      },
      (err) => this.host.log.warn({ room, clientId, err: String(err) }, "presence add failed"),
    );
  }

  private left(clientId: string, room: string): void {
    const m = this.local.get(clientId);
    if (!m?.rooms.has(room)) return;
    if (!this.host.client(clientId)?.open) return; // closing: the disconnect handles it, with grace
    m.rooms.delete(room);
    if (m.rooms.size === 0) this.local.delete(clientId);
    this.removeNow(room, m, clientId);
  }

  private disconnected(clientId: string): void {
    const m = this.local.get(clientId);
    if (!m) return;
    this.local.delete(clientId);
    const timer = setTimeout(() => {
      this.graceTimers.delete(timer);
      for (const room of m.rooms) this.removeNow(room, m, clientId);
    }, this.o.leaveGraceMs);
    this.graceTimers.add(timer);
  }

  private removeNow(room: string, m: LocalMembership, clientId: string): void {
    void this.store.remove(room, m.key, clientId).then(
      ({ changed, total }) => {
        if (changed && total < this.o.maxMembers) this.announce(PresenceEvents.LEAVE, { room, userId: m.userId, clientId, info: m.info });
      },
      (err) => this.host.log.warn({ room, clientId, err: String(err) }, "presence remove failed"),
    );
  }

  private announce(event: string, data: PresenceEventData, exclude?: string): void {
    const target: Target = exclude ? { room: data.room, exclude: [exclude] } : { room: data.room };
    this.host.emit(target, event, stripUndefined(data)).catch((err) => this.host.log.warn({ room: data.room, err: String(err) }, "presence event not sent"));
  }

  private overflow(room: string, total: number): void {
    this.host.emit({ room }, PresenceEvents.OVERFLOW, { room, total, max: this.o.maxMembers }).catch(() => undefined);
  }

  /** Takes out the connections of instances that died (missing or stale on two sweeps in a row). */
  async sweep(): Promise<void> {
    if (this.sweeping || !this.host.instances) return;
    this.sweeping = true;
    try {
      const [holders, live] = await Promise.all([this.store.holders(), this.host.instances()]);
      const healthy = new Set(live.filter((i) => i.healthy).map((i) => i.id));
      for (const id of [...this.suspects]) if (healthy.has(id) || !holders.includes(id)) this.suspects.delete(id);
      for (const id of holders) {
        if (id === this.host.instanceId || healthy.has(id)) continue;
        if (!this.suspects.has(id)) {
          this.suspects.add(id);
          continue;
        }
        this.suspects.delete(id);
        for (const r of await this.store.removeInstance(id)) {
          if (r.total < this.o.maxMembers) this.announce(PresenceEvents.LEAVE, { room: r.room, userId: r.userId, clientId: r.clientId, info: r.info });
        }
      }
    } catch (err) {
      this.host.log.debug({ err: String(err) }, "presence sweep skipped");
    } finally {
      this.sweeping = false;
    }
  }
}

function stripUndefined(data: PresenceEventData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = v;
  return out;
}
