/**
 * @module shared/client/presence
 * The SDK side of presence rooms (SPEC §12): `client.room(name).presence()` asks for the roster
 * once, then keeps it in sync from `presence:join` / `presence:leave`, so an app renders it
 * without polling. After a reconnect the roster is asked for again (events may have been
 * missed while away).
 *
 * Consistency: events that arrive while the roster request is in flight are replayed on top of
 * the answer, in order. Adding a client id and removing a member are idempotent, so the replay
 * converges to the server's roster whether or not the answer already reflected them.
 */
import { PresenceEvents, type PresenceEventData, type PresenceMemberInfo, type PresenceRoster } from "../presence.ts";
import type { JoinResult, LeaveResult } from "../protocol.ts";
import type { Handler } from "./types.ts";

/** What a room handle needs from the client. */
export interface PresenceClientPort {
  join(rooms: string): Promise<JoinResult>;
  leave(rooms: string): Promise<LeaveResult>;
  request<R>(event: string, data?: unknown): Promise<R>;
  on(event: string, handler: Handler<any>): () => void;
}

type Change = { kind: "join" | "leave"; data: PresenceEventData };

const keyOf = (m: { userId?: string; clientId?: string; clientIds?: string[] }) => (m.userId !== undefined ? `user:${m.userId}` : `client:${m.clientId ?? m.clientIds?.[0]}`);

export class RoomHandle {
  private readonly members = new Map<string, PresenceMemberInfo>();
  private readonly listeners = new Set<(members: PresenceMemberInfo[]) => void>();
  private pending?: Change[];
  private tracking = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly client: PresenceClientPort,
  ) {}

  join(): Promise<JoinResult> {
    return this.client.join(this.name);
  }

  leave(): Promise<LeaveResult> {
    this.stopTracking();
    return this.client.leave(this.name);
  }

  /** The roster now (from the server), and from then on kept in sync locally; see `members`. */
  async presence(): Promise<PresenceMemberInfo[]> {
    this.startTracking();
    this.pending = [];
    let roster: PresenceRoster;
    try {
      roster = await this.client.request<PresenceRoster>(PresenceEvents.REQUEST, { room: this.name });
    } catch (err) {
      this.pending = undefined;
      throw err;
    }
    const replay = this.pending;
    this.pending = undefined;
    this.members.clear();
    for (const m of roster.members) this.members.set(keyOf(m), { ...m, clientIds: [...m.clientIds] });
    for (const change of replay) this.apply(change);
    this.changed();
    return this.roster;
  }

  /** The locally kept roster (empty until `presence()` was called once). */
  get roster(): PresenceMemberInfo[] {
    return [...this.members.values()];
  }

  /** Called with the whole roster after every change; returns an unsubscribe function. */
  onChange(listener: (members: PresenceMemberInfo[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private startTracking(): void {
    if (this.tracking) return;
    this.tracking = true;
    const on = (kind: Change["kind"]) => (data: PresenceEventData) => {
      if (data?.room !== this.name) return;
      if (this.pending) this.pending.push({ kind, data });
      else (this.apply({ kind, data }), this.changed());
    };
    this.unsubscribe.push(this.client.on(PresenceEvents.JOIN, on("join")), this.client.on(PresenceEvents.LEAVE, on("leave")));
    // After a reconnect (the client re-joins its rooms and emits `rejoin`) the roster is read again.
    this.unsubscribe.push(this.client.on("rejoin", () => void this.presence().catch(() => undefined)));
  }

  private stopTracking(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    this.tracking = false;
    this.members.clear();
  }

  private apply({ kind, data }: Change): void {
    const key = keyOf(data);
    if (kind === "leave") {
      this.members.delete(key);
      return;
    }
    const member = this.members.get(key);
    if (!member) {
      const added: PresenceMemberInfo = { clientIds: [data.clientId] };
      if (data.userId !== undefined) added.userId = data.userId;
      if (data.info !== undefined) added.info = data.info;
      this.members.set(key, added);
    } else if (!member.clientIds.includes(data.clientId)) member.clientIds.push(data.clientId);
  }

  private changed(): void {
    const snapshot = this.roster;
    for (const listener of this.listeners) listener(snapshot);
  }
}
