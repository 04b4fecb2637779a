/**
 * @module server/presence/store
 * Where presence membership lives (SPEC §12): per room, the members (a user, or an anonymous
 * client keyed by its client id) and each member's connections with the instance holding them.
 * One store for the whole cluster: in memory for a single instance, in Redis for several
 * (server/presence/redis-store.ts). Both implement this contract and run through one suite.
 *
 * Contract:
 * - `add` and `remove` are atomic per room: of several concurrent calls for one member, exactly
 *   one reports `added` (the member's first connection) and exactly one `removed` (its last), so
 *   the caller that sees the transition is the one that announces it, once, cluster-wide.
 * - `total` is the room's member count right after the change.
 * - `roster` pages members in key order; the cursor is the last key seen, so a page never repeats
 *   or skips a member that stayed in the room while the pages were read.
 * - `removeInstance` takes every connection held by a (dead) instance out and returns the
 *   members that it removed entirely; only one caller gets a given removal.
 */

/** A member's identity: its user id, or `client:<id>` for an anonymous client. */
export type MemberKey = string;

export function memberKeyOf(userId: string | undefined, clientId: string): MemberKey {
  return userId !== undefined ? `user:${userId}` : `client:${clientId}`;
}

export interface PresenceMember {
  /** Absent for an anonymous client (its single client id identifies it). */
  userId?: string;
  clientIds: string[];
  info?: Record<string, unknown>;
}

export interface PresenceEntry {
  room: string;
  key: MemberKey;
  userId?: string;
  clientId: string;
  instanceId: string;
  info?: Record<string, unknown>;
}

export interface PresenceChange {
  /** True when this call made the member appear (add) or disappear (remove). */
  changed: boolean;
  total: number;
}

export interface RosterPage {
  members: PresenceMember[];
  total: number;
  nextCursor?: string;
}

export interface RemovedMember {
  room: string;
  userId?: string;
  clientId: string;
  info?: Record<string, unknown>;
  total: number;
}

export interface PresenceStore {
  add(entry: PresenceEntry): Promise<PresenceChange>;
  remove(room: string, key: MemberKey, clientId: string): Promise<PresenceChange>;
  roster(room: string, page: { limit: number; cursor?: string }): Promise<RosterPage>;
  /** Instances that hold connections in the store (for the dead-instance sweep). */
  holders(): Promise<string[]>;
  removeInstance(instanceId: string): Promise<RemovedMember[]>;
}

interface StoredMember {
  userId?: string;
  info?: Record<string, unknown>;
  /** clientId → instanceId */
  clients: Map<string, string>;
}

/** The single-instance store: plain maps, changes are synchronous (hence atomic). */
export class MemoryPresenceStore implements PresenceStore {
  private readonly rooms = new Map<string, Map<MemberKey, StoredMember>>();

  async add(e: PresenceEntry): Promise<PresenceChange> {
    let room = this.rooms.get(e.room);
    if (!room) this.rooms.set(e.room, (room = new Map()));
    let member = room.get(e.key);
    const changed = member === undefined;
    if (!member) room.set(e.key, (member = { userId: e.userId, info: e.info, clients: new Map() }));
    member.clients.set(e.clientId, e.instanceId);
    return { changed, total: room.size };
  }

  async remove(roomName: string, key: MemberKey, clientId: string): Promise<PresenceChange> {
    const room = this.rooms.get(roomName);
    const member = room?.get(key);
    if (!room || !member || !member.clients.delete(clientId)) return { changed: false, total: room?.size ?? 0 };
    if (member.clients.size > 0) return { changed: false, total: room.size };
    room.delete(key);
    if (room.size === 0) this.rooms.delete(roomName);
    return { changed: true, total: room.size };
  }

  async roster(roomName: string, page: { limit: number; cursor?: string }): Promise<RosterPage> {
    const room = this.rooms.get(roomName);
    if (!room) return { members: [], total: 0 };
    const keys = [...room.keys()].sort();
    return pageOf(keys, page, (key) => toMember(room.get(key)!), room.size);
  }

  async holders(): Promise<string[]> {
    const ids = new Set<string>();
    for (const room of this.rooms.values()) for (const m of room.values()) for (const id of m.clients.values()) ids.add(id);
    return [...ids];
  }

  async removeInstance(instanceId: string): Promise<RemovedMember[]> {
    const removed: RemovedMember[] = [];
    for (const [roomName, room] of [...this.rooms]) {
      for (const [key, member] of [...room]) {
        for (const [clientId, holder] of [...member.clients]) {
          if (holder !== instanceId) continue;
          const change = await this.remove(roomName, key, clientId);
          if (change.changed) removed.push({ room: roomName, userId: member.userId, clientId, info: member.info, total: change.total });
        }
      }
    }
    return removed;
  }
}

function toMember(m: StoredMember): PresenceMember {
  const out: PresenceMember = { clientIds: [...m.clients.keys()].sort() };
  if (m.userId !== undefined) out.userId = m.userId;
  if (m.info !== undefined) out.info = m.info;
  return out;
}

/** One page of sorted keys after `cursor`; the cursor is the last key of the page (base64url). */
export function pageOf(sortedKeys: string[], page: { limit: number; cursor?: string }, load: (key: string) => PresenceMember, total: number): RosterPage {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  let start = 0;
  if (after !== undefined) while (start < sortedKeys.length && sortedKeys[start]! <= after) start += 1;
  const keys = sortedKeys.slice(start, start + page.limit);
  const more = start + page.limit < sortedKeys.length;
  return { members: keys.map(load), total, nextCursor: more && keys.length > 0 ? encodeCursor(keys[keys.length - 1]!) : undefined };
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): string | undefined {
  try {
    return Buffer.from(cursor, "base64url").toString("utf8");
  } catch {
    return undefined;
  }
}
