/**
 * @module server/core/target
 * Who a message is for. One immutable value instead of a string "destination" that has to be
 * guessed (ignis `send({destination})`): resolved locally by fan-out and shipped to other
 * instances as the Ignis envelope.
 */
import { WebSocketChannels } from "../../shared/constants.ts";
import type { ClusterEnvelope } from "../../shared/protocol.ts";

export type Target = (
  | { client: string }
  | { user: string }
  | { room: string }
  | { rooms: string[] }
  | { broadcast: true }
) & { exclude?: string[] };

/** The Ignis envelope and channel for a target. */
export function toEnvelope(serverId: string, target: Target, event: string, data: unknown): { channel: string; envelope: ClusterEnvelope } {
  const exclude = target.exclude && target.exclude.length > 0 ? target.exclude : undefined;
  if ("client" in target) {
    return { channel: WebSocketChannels.forClient({ clientId: target.client }), envelope: { serverId, type: "client", target: target.client, event, data } };
  }
  if ("user" in target) {
    return { channel: WebSocketChannels.forUser({ userId: target.user }), envelope: { serverId, type: "user", target: target.user, event, data, exclude } };
  }
  if ("room" in target) {
    return { channel: WebSocketChannels.forRoom({ room: target.room }), envelope: { serverId, type: "room", target: target.room, event, data, exclude } };
  }
  if ("rooms" in target) {
    return { channel: WebSocketChannels.forRoom({ room: target.rooms[0] ?? "" }), envelope: { serverId, type: "rooms", targets: target.rooms, event, data, exclude } };
  }
  return { channel: WebSocketChannels.BROADCAST, envelope: { serverId, type: "broadcast", event, data, exclude } };
}

/** The target an envelope from another instance or an emitter addresses; undefined if malformed. */
export function fromEnvelope(env: ClusterEnvelope): Target | undefined {
  const exclude = Array.isArray(env.exclude) ? env.exclude.filter((x): x is string => typeof x === "string") : undefined;
  const target = typeof env.target === "string" && env.target.length > 0 ? env.target : undefined;
  switch (env.type) {
    case "broadcast":
      return { broadcast: true, exclude };
    case "room":
      return target ? { room: target, exclude } : undefined;
    case "client":
      return target ? { client: target } : undefined;
    case "user":
      return target ? { user: target, exclude } : undefined;
    case "rooms": {
      const rooms = Array.isArray(env.targets) ? env.targets.filter((x): x is string => typeof x === "string") : [];
      return rooms.length > 0 ? { rooms, exclude } : undefined;
    }
    default:
      return undefined;
  }
}
