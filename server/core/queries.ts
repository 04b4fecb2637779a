/**
 * @module server/core/queries
 * Read-only views of the local registry in the public shapes of SPEC §7. Copies, never live
 * internals: callers cannot corrupt state (ignis §11.2 `getClients` returned the live Map).
 */
import type { ClientData } from "../../shared/admin.ts";
import type { Registry, ClientRecord } from "./registry.ts";

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
  for (const room of r.rooms) if (room !== r.id) rooms.push(room);
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

export function localClients(registry: Registry, filter: ClientFilter = {}): ClientInfo[] {
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

export function localRooms(registry: Registry): RoomInfo[] {
  const out: RoomInfo[] = [];
  for (const [name, members] of registry.roomSizes()) out.push({ name, size: members.size });
  return out;
}
