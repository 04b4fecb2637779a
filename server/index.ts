/**
 * @module server
 * The server library entry: `createSwitchboard(options)` and the types an embedding
 * application needs. Needs the Bun runtime; the emitter and the client SDK also run on Node.js.
 *
 * @example
 * import { createSwitchboard } from "switchboard";
 * const sb = createSwitchboard({ jwtSecret: process.env.JWT_SECRET, allowedRooms: ["chat-*"] });
 * await sb.listen({ port: 3000 });
 * await sb.toRoom("chat-general", "news", { text: "hello" });
 */
if (typeof (globalThis as { Bun?: unknown }).Bun === "undefined") {
  throw new Error(
    "Switchboard's server needs the Bun runtime (npm install bun, then run with bun). " +
      "The emitter (switchboard/emitter) and the client SDK (switchboard/client) also run on Node.js.",
  );
}

// The public surface, listed name by name: whatever is not here is internal and may change.
export { createSwitchboard, Switchboard } from "./switchboard.ts";
export type { SwitchboardOptions, ResolvedOptions } from "./config/options.ts";
export { ConfigError } from "./config/settings.ts";
export type { Broker, BrokerHealthHandler, BrokerMessageHandler } from "./broker/broker.ts";
export { MemoryBroker, MemoryBus } from "./broker/memory.ts";
export type { SendOptions } from "./facade.ts";
export type { Target } from "./core/target.ts";
export type { ClientInfo, ClientFilter, RoomInfo } from "./core/queries.ts";
export type { HubEvent, HubEventListener } from "./core/events.ts";
export type { ClusterStats, InstanceInfo, Page, PageRequest, RoomDetail } from "./cluster/view.ts";
export type {
  AuthResult, AuthenticateHook, RefreshHook, ValidateRoomsHook, ClientConnectedHook, ClientDisconnectedHook, MessageHook,
  OutboundTransformer, HandshakeHook, SessionCodec, HandshakeResult, CodecFactory, Hooks, EncryptionMode, CoreOptions, Logger,
} from "./core/types.ts";
export { signToken } from "./auth/jwt.ts";
/** The dashboard under another mount path than `/admin` (for example behind a host app's login). */
export { createDashboardHandler, type DashboardHandlerOptions } from "./dashboard/serve.ts";
export {
  WebSocketEvents, SwitchboardEvents, WebSocketMessageTypes, WebSocketClientStates, WebSocketChannels, WebSocketDefaults,
  RoomNameRules, EMITTER_SERVER_ID, type ClientState, type MessageType,
} from "../shared/constants.ts";
export { CloseCodes, ErrorMessages, AckErrorCodes, describeCloseCode, type CloseCodeInfo, type CloseCodeName } from "../shared/close-codes.ts";
