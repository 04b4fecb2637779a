/**
 * @module server/core/fanout
 * Local delivery to this instance's sockets. Reads the registry, never changes membership.
 *
 * Fast path: a frame for a room or a broadcast is encoded once and published once to the
 * runtime topic, which every plaintext member is subscribed to; the runtime copies it to each
 * socket. Excluded plaintext members are unsubscribed around that one publish (publish is
 * synchronous, so nothing else can interleave) — O(excluded) instead of O(members).
 * Direct members — encrypted sessions (never subscribed to topics, served through the ordered
 * encoder) and sessions still replaying a room's history (their live frames are held until the
 * replay is done) — are served one by one.
 * Several rooms at once: the union of members is served once each, socket by socket.
 *
 * Each method returns the number of local sockets addressed.
 */
import type { OutboundFrame } from "../../shared/protocol.ts";
import { Topics, type TopicPublisher } from "./connection.ts";
import type { Registry } from "./registry.ts";
import type { Session } from "./session.ts";

export class Fanout {
  publisher?: TopicPublisher;

  constructor(
    private readonly registry: Registry,
    private readonly sessions: ReadonlyMap<string, Session>,
    private readonly authenticated: ReadonlySet<string>,
    private readonly countOutbound: (frames: number) => void,
  ) {}

  toClient(clientId: string, frame: OutboundFrame): number {
    const session = this.sessions.get(clientId);
    if (!session || !this.authenticated.has(clientId)) return 0;
    session.sendFrame(frame);
    return 1;
  }

  toUser(userId: string, frame: OutboundFrame, exclude?: readonly string[]): number {
    const ids = this.registry.clientsOfUser(userId);
    if (!ids) return 0;
    return this.toEach(ids, frame, exclude);
  }

  toRoom(room: string, frame: OutboundFrame, exclude?: readonly string[]): number {
    if (this.registry.has(room) && !this.registry.membersOf(room)) {
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
      const members = this.registry.membersOf(room) ?? (this.registry.has(room) ? [room] : []);
      for (const id of members) union.add(id);
    }
    return this.toEach(union, frame, exclude);
  }

  broadcast(frame: OutboundFrame, exclude?: readonly string[]): number {
    const codec = this.registry.codecMembers();
    const excluded = excludedMembers(this.authenticated, exclude);
    const plainCount = this.authenticated.size - codec.size - countPlain(excluded, codec);
    if (plainCount > 0) this.publishExcept(Topics.BROADCAST, frame, excluded, codec);
    this.countOutbound(plainCount);
    return plainCount + this.serveEach(codec, frame, exclude);
  }

  /** Socket-by-socket delivery, encoding the JSON once for all plaintext recipients. */
  private toEach(ids: Iterable<string>, frame: OutboundFrame, exclude?: readonly string[]): number {
    let text: string | undefined;
    let count = 0;
    for (const id of ids) {
      if (exclude?.includes(id) || !this.authenticated.has(id)) continue;
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
