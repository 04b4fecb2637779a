/**
 * @module shared/client
 * The Switchboard client SDK, for browsers, Bun and Node.js 20+ (`switchboard/client`).
 *
 * @example
 * import { createClient } from "switchboard/client";
 * const client = createClient({ url: "wss://rt.example.com/ws", token: () => fetchToken() });
 * client.on("chat:message", (msg) => render(msg));
 * await client.join("chat-general");            // re-joined after every reconnect
 * const reply = await client.request("chat:send", { text: "hi" });   // ack from onMessage
 *
 * On Node.js 20 (no global WebSocket): `import WebSocket from "ws"` and pass `{ WebSocket }`.
 */
export { createClient, SwitchboardClient } from "./client.ts";
export { backoffBounds, backoffDelay, DEFAULT_RECONNECT, resolveReconnect } from "./backoff.ts";
export { decodeJwtExp } from "./token.ts";
export { SwitchboardError, LocalErrorCodes } from "./types.ts";
export type {
  AnyHandler, AuthContext, ClientOptions, ClientPlugin, ClientState, Clock, CloseEvent, EncryptionPreference, EventMap, Handler,
  LifecycleEvents, ProtocolEvents, ReconnectOptions, ServerFrame, StateChange, TokenInput, WebSocketConstructor, WebSocketLike,
} from "./types.ts";
export type { ConnectedData, ErrorData, JoinResult, LeaveResult } from "../protocol.ts";
export { CloseCodes, describeCloseCode, type CloseCodeInfo } from "../close-codes.ts";
export { historyRecovery, type HistoryRecovery } from "./history.ts";
export { RoomHandle } from "./presence.ts";
export { PresenceEvents, type PresenceEventData, type PresenceMemberInfo, type PresenceOverflowData, type PresenceRoster } from "../presence.ts";
