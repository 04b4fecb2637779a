/**
 * @module server/core/fanout
 * Local delivery to this instance's sockets. Reads the registry, never changes membership.
 *
 * Fast path: a frame for a room or a broadcast is encoded once and published once to the
 * runtime topic, which every plaintext member is subscribed to; the runtime copies it to each
 * socket. Excluded plaintext members are unsubscribed around that one publish (publish is
 * synchronous, so nothing else can interleave) — O(excluded) instead of O(members).
 * Direct members — direct clients (never subscribed to topics: encrypted sessions, served
 * through the ordered encoder, and connections that cannot subscribe) and sessions still
 * replaying a room's history (their live frames are held until the replay is done) — are served
 * one by one. A room named after a client here addresses that client (the own-id rule).
 * Several rooms at once: the union of members is served once each, socket by socket.
 *
 * Each method returns the number of local sockets addressed.
 */
import type { OutboundFrame } from "../../shared/protocol.ts";
import { Topics, type TopicPublisher } from "./connection.ts";
import type { Target } from "./target.ts";
import type { Registry } from "./registry.ts";
import type { Session } from "./session.ts";

export class Fanout {
  publisher?: TopicPublisher;

  constructor(
    private readonly registry: Registry,
    private readonly sessions: ReadonlyMap<string, Session>,
    private readonly countOutbound: (frames: number) => void,
  ) {}

  /** Delivers to the local sockets `target` addresses. */
  deliver(target: Target, frame: OutboundFrame): number {
    if ("client" in target) return this.toClient(target.client, frame);
    if ("user" in target) return this.toUser(target.user, frame, target.exclude);
    if ("room" in target) return this.toRoom(target.room, frame, target.exclude);
    if ("rooms" in target) return this.toRooms(target.rooms, frame, target.exclude);
    return this.broadcast(frame, target.exclude);
  }

  /** Local sockets a target would reach, without sending. */
  count(target: Target): number {
    const exclude = new Set(target.exclude ?? []);
    // O(excluded), not O(members), for a room or a broadcast: the REST emit counts before every
    // send. Room members are always authenticated (joins come after admission, and a closing
    // client leaves both sets at once), so a room's size is its recipient count.
    const sizeExcept = (ids: ReadonlySet<string>) => ids.size - [...exclude].filter((id) => ids.has(id)).length;
    const count = (ids: Iterable<string>) => {
      let n = 0;
      for (const id of ids) if (!exclude.has(id) && this.registry.isAuthenticated(id)) n += 1;
      return n;
    };
    if ("client" in target) return this.registry.isAuthenticated(target.client) ? 1 : 0;
    if ("user" in target) return count(this.registry.clientsOfUser(target.user) ?? []);
    if ("broadcast" in target) return sizeExcept(this.registry.authenticated());
    const rooms = "room" in target ? [target.room] : target.rooms;
    const single = rooms.length === 1 ? this.registry.membersOf(rooms[0]!) : undefined;
    if (single) return sizeExcept(single);
    const union = new Set<string>();
    for (const room of rooms) for (const id of this.registry.membersOf(room) ?? (this.registry.isClientRoom(room) ? [room] : [])) union.add(id);
    return count(union);
  }

  toClient(clientId: string, frame: OutboundFrame): number {
    const session = this.sessions.get(clientId);
    if (!session || !this.registry.isAuthenticated(clientId)) return 0;
    session.sendFrame(frame);
    return 1;
  }

  toUser(userId: string, frame: OutboundFrame, exclude?: readonly string[]): number {
    const ids = this.registry.clientsOfUser(userId);
    if (!ids) return 0;
    return this.toEach(ids, frame, exclude);
  }

  toRoom(room: string, frame: OutboundFrame, exclude?: readonly string[]): number {
    if (this.registry.isClientRoom(room) && !this.registry.membersOf(room)) {
      return exclude?.includes(room) ? 0 : this.toClient(room, frame);
    }
    const members = this.registry.membersOf(room);
    if (!members) return 0;
    const direct = this.registry.directMembersOf(room);
    const excluded = excludedMembers(members, exclude);
    const plainCount = members.size - (direct?.size ?? 0) - countPlain(excluded, direct);
    if (plainCount > 0) this.publishExcept(Topics.room(room), frame, excluded, direct);
    let directCount = 0;
    if (direct) directCount = this.serveEach(direct, frame, exclude, room);
    this.countOutbound(plainCount);
    return plainCount + directCount;
  }

  toRooms(rooms: readonly string[], frame: OutboundFrame, exclude?: readonly string[]): number {
    if (rooms.length === 1) return this.toRoom(rooms[0]!, frame, exclude);
    const union = new Set<string>();
    for (const room of rooms) {
      const members = this.registry.membersOf(room) ?? (this.registry.isClientRoom(room) ? [room] : []);
      for (const id of members) union.add(id);
    }
    return this.toEach(union, frame, exclude);
  }

  broadcast(frame: OutboundFrame, exclude?: readonly string[]): number {
    const direct = this.registry.directMembers();
    const authenticated = this.registry.authenticated();
    const excluded = excludedMembers(authenticated, exclude);
    const plainCount = authenticated.size - direct.size - countPlain(excluded, direct);
    if (plainCount > 0) this.publishExcept(Topics.BROADCAST, frame, excluded, direct);
    this.countOutbound(plainCount);
    return plainCount + this.serveEach(direct, frame, exclude);
  }

  /** Socket-by-socket delivery, encoding the JSON once for all plaintext recipients. */
  private toEach(ids: Iterable<string>, frame: OutboundFrame, exclude?: readonly string[]): number {
    let text: string | undefined;
    let count = 0;
    for (const id of ids) {
      if (exclude?.includes(id) || !this.registry.isAuthenticated(id)) continue;
      const session = this.sessions.get(id);
      if (!session) continue;
      if (session.codec) session.sendFrame(frame);
      else session.sendText((text ??= JSON.stringify(frame)));
      count += 1;
    }
    return count;
  }

  private serveEach(ids: ReadonlySet<string>, frame: OutboundFrame, exclude?: readonly string[], room?: string): number {
    let count = 0;
    for (const id of ids) {
      if (exclude?.includes(id)) continue;
      const session = this.sessions.get(id);
      if (!session) continue;
      if (room === undefined) session.sendFrame(frame);
      else session.deliverRoomFrame(room, frame);
      count += 1;
    }
    return count;
  }

  private publishExcept(topic: string, frame: OutboundFrame, excluded: string[], direct: ReadonlySet<string> | undefined): void {
    const publisher = this.publisher;
    if (!publisher) return;
    const muted: Session[] = [];
    for (const id of excluded) {
      const session = this.sessions.get(id);
      if (session && !direct?.has(id)) {
        session.conn.unsubscribe(topic);
        muted.push(session);
      }
    }
    publisher.publish(topic, JSON.stringify(frame));
    for (const session of muted) session.conn.subscribe(topic);
  }
}

function excludedMembers(members: ReadonlySet<string>, exclude: readonly string[] | undefined): string[] {
  if (!exclude || exclude.length === 0) return [];
  return [...new Set(exclude)].filter((id) => members.has(id));
}

function countPlain(excluded: readonly string[], direct: ReadonlySet<string> | undefined): number {
  if (!direct) return excluded.length;
  let n = 0;
  for (const id of excluded) if (!direct.has(id)) n += 1;
  return n;
}
