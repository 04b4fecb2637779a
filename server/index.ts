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

export { createSwitchboard, Switchboard } from "./switchboard.ts";
export type { SwitchboardOptions, ResolvedOptions } from "./config/options.ts";
export { ConfigError } from "./config/settings.ts";
export type { Broker } from "./broker/broker.ts";
export { MemoryBroker, MemoryBus } from "./broker/memory.ts";
export type { Target } from "./core/target.ts";
export type { ClientInfo, ClientFilter, RoomInfo } from "./core/queries.ts";
export type { HubEvent } from "./core/events.ts";
export type * from "./core/types.ts";
export { signToken } from "./auth/jwt.ts";
/** The dashboard under another mount path than `/admin` (for example behind a host app's login). */
export { createDashboardHandler, type DashboardHandlerOptions } from "./dashboard/serve.ts";
export * from "../shared/constants.ts";
export * from "../shared/close-codes.ts";
