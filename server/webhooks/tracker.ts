/**
 * @module server/webhooks/tracker
 * Turns the hub's lifecycle events (this instance) into webhook events (cluster-wide meaning).
 * Runs inside the hub's synchronous listener: it only updates maps and starts promises, so the
 * socket path never waits for Redis or for a receiver.
 *
 * Meanings (SPEC §13, choices written down here and in the README):
 * - A client is "connected" once authenticated (`client.connected`); `client.disconnected` is sent
 *   only for clients that were. Sockets that never authenticate send nothing.
 * - A member is a user in a room (a client without a user id counts as its own member, keyed by
 *   client id), counted over every socket on every instance: `member.added` when its first socket
 *   enters, `member.removed` when its last one left and stayed out WEBHOOK_VACATE_DELAY_MS.
 * - A room is occupied while it has any member anywhere; a client's own-id room (named by its
 *   client id) is internal and never produces room or member events.
 * - Transitions of one room (and its members) run one after another, in the order they happened
 *   here, so `room.occupied` precedes its first `member.added`. Redis failures are retried
 *   (backoff) until Redis answers: events come late, not twice and not never.
 */
import { backoffDelay } from "../../shared/backoff.ts";
import type { WebhookEvent, WebhookEventName } from "../../shared/webhooks.ts";
import type { HubEvent } from "../core/events.ts";
import type { Logger } from "../core/types.ts";
import { memberKey, roomKey, type TransitionStore } from "./transitions.ts";

interface TrackedClient {
  userId?: string;
  authenticated: boolean;
  rooms: Set<string>;
}

export interface TrackerOptions {
  events: readonly WebhookEventName[];
  vacateDelayMs: number;
  transitions: TransitionStore;
  /** Ids of the instances alive now (the cluster view), asked before each vacate. */
  liveInstances: () => Promise<string[]>;
  emit: (event: WebhookEvent) => void;
  log: Logger;
}

const STORE_RETRY = { minDelayMs: 100, maxDelayMs: 2000, factor: 2, jitter: 1 };

export class Tracker {
  private readonly clients = new Map<string, TrackedClient>();
  /** room → member key → sockets of this instance in the room. */
  private readonly rooms = new Map<string, Map<string, number>>();
  /** Latest release token per room / member: a vacate check runs only for the latest leave. */
  private readonly released = new Map<string, symbol>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly wanted: ReadonlySet<WebhookEventName>;
  private readonly roomsTracked: boolean;
  private stopped = false;

  constructor(private readonly o: TrackerOptions) {
    this.wanted = new Set(o.events);
    this.roomsTracked = ["room.occupied", "room.vacated", "member.added", "member.removed"].some((n) => this.wanted.has(n as WebhookEventName));
  }

  readonly listener = (e: HubEvent): void => {
    switch (e.type) {
      case "client:authenticated":
        return this.authenticated(e.clientId, e.userId, e.at);
      case "client:disconnected":
        return this.disconnected(e.clientId, e.code, e.reason, e.at);
      case "room:joined":
        return this.joined(e.clientId, e.room, e.at);
      case "room:left":
        return this.left(e.clientId, e.room, e.at);
    }
  };

  /** Stops timers and retries; transitions already running finish or give up. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return Promise.allSettled([...this.chains.values()]).then(() => undefined);
  }

  private send(event: WebhookEvent): void {
    if (this.wanted.has(event.name)) this.o.emit(event);
  }

  private client(id: string): TrackedClient {
    let c = this.clients.get(id);
    if (!c) this.clients.set(id, (c = { authenticated: false, rooms: new Set() }));
    return c;
  }

  private authenticated(clientId: string, userId: string | undefined, at: number): void {
    const c = this.client(clientId);
    if (c.authenticated) return;
    c.authenticated = true;
    c.userId = userId;
    this.send({ name: "client.connected", time: iso(at), clientId, userId: userId ?? null });
    // Default rooms are joined just before the hub reports the authentication.
    for (const room of c.rooms) this.enter(room, clientId, c, at);
  }

  private disconnected(clientId: string, code: number, reason: string, at: number): void {
    const c = this.clients.get(clientId);
    this.clients.delete(clientId);
    if (!c?.authenticated) return;
    this.send({ name: "client.disconnected", time: iso(at), clientId, userId: c.userId ?? null, code, reason });
    for (const room of c.rooms) this.exit(room, clientId, c, at);
  }

  private joined(clientId: string, room: string, at: number): void {
    if (room === clientId || !this.roomsTracked) return;
    const c = this.client(clientId);
    if (c.rooms.has(room)) return;
    c.rooms.add(room);
    if (c.authenticated) this.enter(room, clientId, c, at);
  }

  private left(clientId: string, room: string, at: number): void {
    const c = this.clients.get(clientId);
    if (!c?.rooms.delete(room)) return;
    if (c.authenticated) this.exit(room, clientId, c, at);
  }

  private enter(room: string, clientId: string, c: TrackedClient, at: number): void {
    const member = memberOf(clientId, c);
    let members = this.rooms.get(room);
    const roomWasEmpty = !members;
    if (!members) this.rooms.set(room, (members = new Map()));
    const count = members.get(member) ?? 0;
    members.set(member, count + 1);
    const info = memberFields(clientId, c);
    if (roomWasEmpty) {
      this.released.delete(roomKey(room));
      this.serial(room, async () => {
        if (await this.o.transitions.occupy(roomKey(room))) this.send({ name: "room.occupied", time: iso(at), room });
      });
    }
    if (count === 0) {
      this.released.delete(memberKey(room, member));
      this.serial(room, async () => {
        if (await this.o.transitions.occupy(memberKey(room, member))) this.send({ name: "member.added", time: iso(at), room, ...info });
      });
    }
  }

  private exit(room: string, clientId: string, c: TrackedClient, at: number): void {
    const member = memberOf(clientId, c);
    const members = this.rooms.get(room);
    const count = members?.get(member) ?? 0;
    if (!members || count === 0) return;
    if (count > 1) return void members.set(member, count - 1);
    members.delete(member);
    const info = memberFields(clientId, c);
    this.later(room, memberKey(room, member), () => !this.rooms.get(room)?.has(member), { name: "member.removed", time: iso(at), room, ...info });
    if (members.size > 0) return;
    this.rooms.delete(room);
    this.later(room, roomKey(room), () => !this.rooms.has(room), { name: "room.vacated", time: iso(at), room });
  }

  /** After the vacate delay, if this leave is still the latest and the key still empty here, try the vacate transition. */
  private later(room: string, key: string, stillEmpty: () => boolean, event: WebhookEvent): void {
    const token = Symbol(key);
    this.released.set(key, token);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.released.get(key) !== token || !stillEmpty()) return;
      this.released.delete(key);
      this.serial(room, async () => {
        if (!stillEmpty()) return;
        if (await this.o.transitions.vacate(key, await this.o.liveInstances())) this.send(event);
      });
    }, this.o.vacateDelayMs);
    this.timers.add(timer);
  }

  /** Runs `step` after the room's earlier steps, retrying store failures until stopped. */
  private serial(room: string, step: () => Promise<void>): void {
    const run = async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          return await step();
        } catch (err) {
          if (attempt === 0) this.o.log.warn({ err: String(err), room }, "webhook room transition failed; retrying");
          await new Promise((r) => setTimeout(r, backoffDelay(attempt, STORE_RETRY)));
        }
      }
    };
    const next = (this.chains.get(room) ?? Promise.resolve()).then(run);
    this.chains.set(room, next);
    void next.finally(() => {
      if (this.chains.get(room) === next) this.chains.delete(room);
    });
  }
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function memberOf(clientId: string, c: TrackedClient): string {
  return c.userId !== undefined ? `u:${c.userId}` : `c:${clientId}`;
}

function memberFields(clientId: string, c: TrackedClient): { userId: string | null; clientId?: string } {
  return c.userId !== undefined ? { userId: c.userId } : { userId: null, clientId };
}
