/**
 * @module server/facade
 * The library API of SPEC §6 over the hub: targeting (each with `exclude`), operator actions
 * and queries. Targeting goes through the hub and its broker, so it reaches every instance.
 */
import { CloseCodes } from "../shared/close-codes.ts";
import type { HubEventListener } from "./core/events.ts";
import type { Hub } from "./core/hub.ts";
import { localClients, localRooms, toClientInfo, type ClientFilter, type ClientInfo, type RoomInfo } from "./core/queries.ts";
import { partitionRoomNames } from "./core/room-policy.ts";
import type { Target } from "./core/target.ts";

export interface SendOptions {
  exclude?: string[];
}

export interface Stats {
  instances: number;
  connections: number;
  authenticated: number;
  encrypted: number;
  rooms: number;
  users: number;
  messagesIn: number;
  messagesOut: number;
}

export class LibraryFacade {
  constructor(readonly hub: Hub) {}

  /** Sends to a target on every instance; resolves to the number of local sockets reached. */
  emit(target: Target, event: string, data?: unknown): Promise<number> {
    return this.hub.emit(target, event, data);
  }

  toClient(clientId: string, event: string, data?: unknown): Promise<number> {
    return this.emit({ client: clientId }, event, data);
  }

  toUser(userId: string, event: string, data?: unknown, o: SendOptions = {}): Promise<number> {
    return this.emit({ user: userId, exclude: o.exclude }, event, data);
  }

  toRoom(room: string | string[], event: string, data?: unknown, o: SendOptions = {}): Promise<number> {
    const target: Target = Array.isArray(room) ? { rooms: room, exclude: o.exclude } : { room, exclude: o.exclude };
    return this.emit(target, event, data);
  }

  broadcast(event: string, data?: unknown, o: SendOptions = {}): Promise<number> {
    return this.emit({ broadcast: true, exclude: o.exclude }, event, data);
  }

  /** Joins rooms on a client's behalf (bypasses ALLOWED_ROOMS, not the reserved-name rules). */
  joinRoom({ clientId, rooms }: { clientId: string; rooms: string[] }): string[] {
    const session = this.hub.sessions.get(clientId);
    if (!session || !this.hub.authenticated.has(clientId)) return [];
    const { valid } = partitionRoomNames(rooms, (name) => name !== clientId && this.hub.registry.has(name));
    for (const room of valid) this.hub.joinRoom(session, room);
    return valid;
  }

  leaveRoom({ clientId, room }: { clientId: string; room: string }): boolean {
    const session = this.hub.sessions.get(clientId);
    if (!session || room === clientId) return false;
    return this.hub.leaveRoom(session, room);
  }

  /** Closes the client with 4007 (Disconnected by server). */
  disconnect(clientId: string): boolean {
    return this.hub.disconnect(clientId, CloseCodes.KICKED);
  }

  getClient(id: string): ClientInfo | undefined {
    const record = this.hub.registry.get(id);
    return record ? toClientInfo(record) : undefined;
  }

  getClients(filter: ClientFilter = {}): ClientInfo[] {
    return localClients(this.hub.registry, filter);
  }

  getRooms(): RoomInfo[] {
    return localRooms(this.hub.registry);
  }

  getStats(): Stats {
    const hub = this.hub;
    return {
      instances: 1,
      connections: hub.sessions.size,
      authenticated: hub.authenticated.size,
      encrypted: hub.registry.codecMembers().size,
      rooms: hub.registry.roomCount,
      users: hub.registry.userCount,
      messagesIn: hub.stats.messagesIn,
      messagesOut: hub.stats.messagesOut,
    };
  }

  /** Lifecycle events (connect, authenticate, disconnect, join, leave, emit). Returns an unsubscribe function. */
  on(listener: HubEventListener): () => void {
    return this.hub.events.on(listener);
  }
}
