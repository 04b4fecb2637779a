/**
 * @module server/core/queries
 * Read-only views of the local registry in the public shapes of SPEC §7. Copies, never live
 * internals: callers cannot corrupt state (ignis §11.2 `getClients` returned the live Map).
 * `LocalDirectory` is what code outside the core (cluster views, presence, the library facade)
 * reads about this instance's clients; none of it reaches the registry itself.
 */
import type { ClientData } from "../../shared/admin.ts";
import { isOwnIdRoom, type Registry, type ClientRecord } from "./registry.ts";

/** A client as queries, the REST API and the admin channel show it (defined once in shared/). */
export type ClientInfo = ClientData;

export interface ClientFilter {
  userId?: string;
  room?: string;
  instance?: string;
  encrypted?: boolean;
  /** Substring of id, userId or remote address. */
  q?: string;
}

export interface RoomInfo {
  name: string;
  size: number;
}

export function toClientInfo(r: ClientRecord): ClientInfo {
  const rooms: string[] = [];
  for (const room of r.rooms) if (!isOwnIdRoom(r.id, room)) rooms.push(room);
  return {
    id: r.id, userId: r.userId, instanceId: r.instanceId, state: r.state, rooms, encrypted: r.encrypted, encryptedAt: r.encryptedAt,
    connectedAt: r.connectedAt, lastActivity: r.lastActivity, remoteAddress: r.remoteAddress, userAgent: r.userAgent, metadata: r.metadata,
    transport: r.transport,
  };
}

export function matchesFilter(c: ClientInfo, f: ClientFilter): boolean {
  if (f.userId !== undefined && c.userId !== f.userId) return false;
  if (f.room !== undefined && !c.rooms.includes(f.room)) return false;
  if (f.instance !== undefined && c.instanceId !== f.instance) return false;
  if (f.encrypted !== undefined && c.encrypted !== f.encrypted) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = [c.id, c.userId ?? "", c.remoteAddress].join(" ").toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

function localClients(registry: Registry, filter: ClientFilter = {}): ClientInfo[] {
  const out: ClientInfo[] = [];
  if (filter.room !== undefined) {
    for (const id of registry.membersOf(filter.room) ?? []) {
      const record = registry.get(id);
      if (record) pushIfMatch(out, toClientInfo(record), filter);
    }
    return out;
  }
  if (filter.userId !== undefined) {
    for (const id of registry.clientsOfUser(filter.userId) ?? []) {
      const record = registry.get(id);
      if (record) pushIfMatch(out, toClientInfo(record), filter);
    }
    return out;
  }
  for (const record of registry.all()) pushIfMatch(out, toClientInfo(record), filter);
  return out;
}

function pushIfMatch(out: ClientInfo[], info: ClientInfo, filter: ClientFilter): void {
  if (matchesFilter(info, filter)) out.push(info);
}

function localRooms(registry: Registry): RoomInfo[] {
  const out: RoomInfo[] = [];
  for (const [name, members] of registry.roomSizes()) out.push({ name, size: members.size });
  return out;
}

/** This instance's clients as counts (cheap: no iteration). */
export interface LocalCounts {
  /** Open sockets, authenticated or not. */
  connections: number;
  authenticated: number;
  encrypted: number;
  /** Rooms with at least one member here (own-id rooms not counted). */
  rooms: number;
  /** Distinct authenticated users here. */
  users: number;
}

/** Read-only queries over this instance's registry, in the public shapes. */
export class LocalDirectory {
  constructor(private readonly registry: Registry) {}

  counts(): LocalCounts {
    const r = this.registry;
    return { connections: r.size, authenticated: r.authenticated().size, encrypted: r.encrypted, rooms: r.roomCount, users: r.userCount };
  }

  /** Whether a client with this id is connected here (its id is then also its own-id room). */
  has(id: string): boolean {
    return this.registry.has(id);
  }

  client(id: string): ClientInfo | undefined {
    const record = this.registry.get(id);
    return record ? toClientInfo(record) : undefined;
  }

  clients(filter: ClientFilter = {}): ClientInfo[] {
    return localClients(this.registry, filter);
  }

  rooms(): RoomInfo[] {
    return localRooms(this.registry);
  }

  /** Members of `room` here (undefined when it has none). */
  roomMembers(room: string): ClientInfo[] | undefined {
    const members = this.registry.membersOf(room);
    if (!members) return undefined;
    const out: ClientInfo[] = [];
    for (const id of members) {
      const record = this.registry.get(id);
      if (record) out.push(toClientInfo(record));
    }
    return out;
  }

  roomSize(room: string): number {
    return this.registry.membersOf(room)?.size ?? 0;
  }

  /** Sessions of the user here. */
  userSessions(userId: string): number {
    return this.registry.clientsOfUser(userId)?.size ?? 0;
  }

  /** Distinct user ids here. */
  userIds(): Set<string> {
    const users = new Set<string>();
    for (const record of this.registry.all()) if (record.userId !== undefined) users.add(record.userId);
    return users;
  }
}
