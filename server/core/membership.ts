/**
 * @module server/core/membership
 * Who is in which room, and how a member is served: the one place that joins, leaves, holds and
 * releases. Presence and the admin feed hear every change as a `room:joined` / `room:left` hub
 * event; nothing else changes membership.
 *
 * Delivery routes: a member is served through the room's runtime topic unless it is a direct
 * client (see {@link Membership.serveDirectly}) or held. A held member (its room's history is
 * being read: recovery, or a join that reports its position) is a direct member whose live frames
 * wait in the session; {@link Membership.release} sends what it must, in order, and moves it to
 * the topic — in one synchronous step, so nothing is lost or doubled.
 */
import type { OutboundFrame } from "../../shared/protocol.ts";
import type { Clock } from "./clock.ts";
import { Topics } from "./connection.ts";
import type { HubEvents } from "./events.ts";
import { isOwnIdRoom, type Registry } from "./registry.ts";
import { partitionRoomNames } from "./room-policy.ts";
import type { Session } from "./session.ts";

export class Membership {
  constructor(
    private readonly registry: Registry,
    private readonly events: HubEvents,
    private readonly clock: Clock,
  ) {}

  /**
   * The requested names a client may ask for: valid names, not reserved, and not another
   * client's own-id room (its own is allowed: joining it is a no-op).
   */
  joinable(requested: string[], clientId: string): { valid: string[]; invalid: string[] } {
    return partitionRoomNames(requested, (name) => !isOwnIdRoom(clientId, name) && this.registry.isClientRoom(name));
  }

  /**
   * From now on the session is served by direct sends only (never a runtime topic): sessions
   * with a codec, and connections that cannot subscribe (`Connection.direct`). Called at
   * admission, before any room is joined through the topic.
   */
  serveDirectly(session: Session): void {
    this.registry.markDirectClient(session.id);
  }

  /** Joins the session's own-id room and, unless it is a direct client, the broadcast topic. */
  admit(session: Session): void {
    if (!this.registry.isDirectClient(session.id)) session.conn.subscribe(Topics.BROADCAST);
    this.registry.join(session.id, session.id);
  }

  /** Joins and serves the room live; false when the session was already in it. */
  join(session: Session, room: string): boolean {
    if (!this.registry.join(session.id, room)) return false;
    if (!this.registry.isDirectClient(session.id)) session.conn.subscribe(Topics.room(room));
    this.joined(session, room);
    return true;
  }

  /** Leaves a room; the own-id room cannot be left. False when the session was not in it. */
  leave(session: Session, room: string): boolean {
    if (isOwnIdRoom(session.id, room) || !this.registry.leave(session.id, room)) return false;
    session.conn.unsubscribe(Topics.room(room));
    if (this.events.hasListeners) this.events.emit({ type: "room:left", clientId: session.id, room, at: this.clock.now() });
    return true;
  }

  /** Whether the session is in `room` or waiting to be released into it. */
  isMemberOrHeld(session: Session, room: string): boolean {
    return session.record.rooms.has(room) || session.recovering?.has(room) === true;
  }

  /** Joins `room` held: a direct member whose live frames wait until {@link release}. */
  hold(session: Session, room: string): void {
    this.registry.join(session.id, room);
    this.registry.markDirect(session.id, room);
    (session.recovering ??= new Map()).set(room, []);
  }

  /**
   * Ends the hold on `room`: sends `replay` (history the client missed), then the frames held
   * meanwhile that are newer than both `after` and the replay, then serves the room live. A
   * session that closed or left the room meanwhile only loses its hold.
   */
  release(session: Session, room: string, replay: readonly OutboundFrame[] = [], after = 0): void {
    const held = session.recovering?.get(room) ?? [];
    session.recovering?.delete(room);
    if (session.recovering?.size === 0) session.recovering = undefined;
    if (!session.isOpen || !session.record.rooms.has(room)) return;
    let last = after;
    for (const frame of replay) {
      session.sendFrame(frame);
      last = frame.seq ?? last;
    }
    for (const frame of held) if ((frame.seq ?? Infinity) > last) session.sendFrame(frame);
    this.registry.unmarkDirect(session.id, room);
    if (!this.registry.isDirectClient(session.id)) session.conn.subscribe(Topics.room(room));
    this.joined(session, room);
  }

  private joined(session: Session, room: string): void {
    if (this.events.hasListeners) this.events.emit({ type: "room:joined", clientId: session.id, room, at: this.clock.now() });
  }
}
