/**
 * @module server/presence/setup
 * Builds presence for a server (SPEC §12) when PRESENCE_ROOMS is set: the store (Redis when the
 * broker has commands, memory otherwise), the service over the hub's events, and the `presence`
 * request handler. The hub sees only a request handler and an event listener.
 */
import { AckErrorCodes } from "../../shared/close-codes.ts";
import { PresenceEvents, type PresenceRoster } from "../../shared/presence.ts";
import type { Broker } from "../broker/broker.ts";
import { supportsCommands } from "../broker/commands.ts";
import { matchesAny } from "../core/room-policy.ts";
import { RequestError, type RequestHandler } from "../core/types.ts";
import { RedisPresenceStore } from "./redis-store.ts";
import { PresenceService, type PresenceHost } from "./service.ts";
import { MemoryPresenceStore, type RosterPage } from "./store.ts";

export interface PresenceSettings {
  presenceRooms: string[];
  presenceLeaveGraceMs: number;
  presenceMaxMembers: number;
  presenceTtlMs: number;
}

export interface Presence {
  service: PresenceService;
  isPresenceRoom(room: string): boolean;
  /** The `presence` request: the whole roster of a room the asking client is in. */
  request: RequestHandler;
  /** REST: a page of the roster, undefined when the room is not a presence room. */
  page(room: string, page: { limit: number; cursor?: string }): Promise<RosterPage | undefined>;
}

/** Returns undefined when no presence rooms are configured. */
export function createPresence(o: PresenceSettings, broker: Broker, host: Omit<PresenceHost, "isPresenceRoom">): Presence | undefined {
  if (o.presenceRooms.length === 0) return undefined;
  const store = supportsCommands(broker) ? new RedisPresenceStore(broker, host.instanceId) : new MemoryPresenceStore();
  const isPresenceRoom = (room: string) => matchesAny(room, o.presenceRooms, undefined);
  const service = new PresenceService({ ...host, isPresenceRoom, instances: supportsCommands(broker) ? host.instances : undefined }, store, {
    leaveGraceMs: o.presenceLeaveGraceMs,
    maxMembers: o.presenceMaxMembers,
    sweepMs: Math.max(100, Math.floor(o.presenceTtlMs / 8)),
  });
  const request: RequestHandler = async ({ rooms, data }) => {
    const room = (data as { room?: unknown } | undefined)?.room;
    if (typeof room !== "string" || room.length === 0) throw new RequestError(AckErrorCodes.INVALID_ROOMS, `${PresenceEvents.REQUEST}: data.room must be a room name`);
    if (!isPresenceRoom(room)) throw new RequestError(AckErrorCodes.NOT_PRESENCE_ROOM, `room ${room} is not a presence room`);
    if (!rooms.has(room)) throw new RequestError(AckErrorCodes.NOT_MEMBER, `not a member of room ${room}`);
    const { members, total } = await service.roster(room, { limit: o.presenceMaxMembers });
    return { room, members, total } satisfies PresenceRoster;
  };
  const page = async (room: string, p: { limit: number; cursor?: string }) => (isPresenceRoom(room) ? service.roster(room, p) : undefined);
  return { service, isPresenceRoom, request, page };
}
