/**
 * @module shared/constants
 * Protocol constants under the Ignis names (`WebSocketEvents`, `WebSocketChannels`,
 * `WebSocketDefaults`, `WebSocketClientStates`, `WebSocketMessageTypes`) with the same values,
 * so that an Ignis user finds what they know. Each "enum" carries a `SCHEME_SET` and an exact,
 * case-sensitive `isValid` guard, as upstream does.
 */

function scheme<T extends Record<string, string>>(values: T) {
  const set: ReadonlySet<string> = new Set(Object.values(values));
  return Object.freeze({
    ...values,
    SCHEME_SET: set,
    isValid: (value: unknown): value is T[keyof T] => typeof value === "string" && set.has(value),
  });
}

export const WebSocketEvents = scheme({
  AUTHENTICATE: "authenticate",
  CONNECTED: "connected",
  DISCONNECT: "disconnect",
  JOIN: "join",
  LEAVE: "leave",
  ERROR: "error",
  HEARTBEAT: "heartbeat",
  ENCRYPTED: "encrypted",
});

/** Switchboard-only events (invisible to Ignis clients that never send an `id` or `refresh`). */
export const SwitchboardEvents = Object.freeze({
  ACK: "ack",
  REFRESH: "refresh",
});

export const WebSocketMessageTypes = scheme({
  CLIENT: "client",
  USER: "user",
  ROOM: "room",
  BROADCAST: "broadcast",
});

export const WebSocketClientStates = scheme({
  UNAUTHORIZED: "unauthorized",
  AUTHENTICATING: "authenticating",
  AUTHENTICATED: "authenticated",
  DISCONNECTED: "disconnected",
});

export type ClientState = (typeof WebSocketClientStates)["UNAUTHORIZED" | "AUTHENTICATING" | "AUTHENTICATED" | "DISCONNECTED"];
export type MessageType = (typeof WebSocketMessageTypes)["CLIENT" | "USER" | "ROOM" | "BROADCAST"];

/** Redis channel names of the Ignis envelope (ignis §6.2). */
export const WebSocketChannels = Object.freeze({
  BROADCAST: "ws:broadcast",
  ROOM_PREFIX: "ws:room:",
  CLIENT_PREFIX: "ws:client:",
  USER_PREFIX: "ws:user:",
  forRoom: ({ room }: { room: string }) => `ws:room:${room}`,
  forClient: ({ clientId }: { clientId: string }) => `ws:client:${clientId}`,
  forUser: ({ userId }: { userId: string }) => `ws:user:${userId}`,
  forRoomPattern: () => "ws:room:*",
  forClientPattern: () => "ws:client:*",
  forUserPattern: () => "ws:user:*",
});

export const WebSocketDefaults = Object.freeze({
  PATH: "/ws",
  ROOM: "ws-default",
  NOTIFICATION_ROOM: "ws-notification",
  BROADCAST_TOPIC: "ws:internal:broadcast",
  MAX_PAYLOAD_LENGTH: 131072,
  IDLE_TIMEOUT: 60,
  BACKPRESSURE_LIMIT: 1048576,
  SEND_PINGS: true,
  PUBLISH_TO_SELF: false,
  AUTH_TIMEOUT: 5000,
  HEARTBEAT_INTERVAL: 30000,
  HEARTBEAT_TIMEOUT: 90000,
  ENCRYPTED_BATCH_LIMIT: 10,
});

/** Room names: 1–256 printable characters, not starting with the reserved `ws:` prefix. */
export const RoomNameRules = Object.freeze({
  MAX_LENGTH: 256,
  RESERVED_PREFIX: "ws:",
});

/** The serverId the Ignis `WebSocketEmitter` (and ours) puts in every envelope. */
export const EMITTER_SERVER_ID = "emitter";
