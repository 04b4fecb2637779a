/**
 * @module shared/client/options
 * Validates the client options once, at creation, so that a typo fails loudly instead of
 * turning into a reconnect loop.
 */
import { resolveReconnect } from "./backoff.ts";
import { Connection, type ClientConnection, type ConnectionHandlers } from "./connection.ts";
import { historyRecovery } from "./history.ts";
import { sseConnector, type EventSourceConstructor, type FetchLike } from "./sse.ts";
import type { Clock, ClientOptions, ClientPlugin, EncryptionPreference, ReconnectOptions, WebSocketConstructor } from "./types.ts";

export type Connector = (url: string, auth: Record<string, unknown>, on: ConnectionHandlers) => ClientConnection;

export interface ResolvedClientOptions {
  urls: string[];
  transport: "ws" | "sse";
  /** Opens one attempt over the chosen transport. */
  openConnection: Connector;
  encryption: EncryptionPreference;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  reconnect: ReconnectOptions;
  reconnectEnabled: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  refreshMarginMs: number;
  autoConnect: boolean;
  plugins: ClientPlugin[];
  clock: Clock;
  random: () => number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const ENCRYPTION: readonly EncryptionPreference[] = ["auto", "off", "required"];

function fail(message: string): never {
  throw new TypeError(`switchboard client: ${message}`);
}

function urlsOf(url: unknown, transport: "ws" | "sse"): string[] {
  const [a, b] = transport === "sse" ? ["http:", "https:"] : ["ws:", "wss:"];
  const urls = Array.isArray(url) ? url : [url];
  if (urls.length === 0) fail(`url needs at least one ${a}// or ${b}// URL`);
  for (const u of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(u));
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== a && parsed.protocol !== b)) fail(`url ${JSON.stringify(u)} is not a ${a}// or ${b}// URL${transport === "sse" ? " (the SSE path, e.g. https://host/sse)" : ""}`);
  }
  return urls as string[];
}

function ms(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) fail(`${name} must be a number of milliseconds ≥ 0`);
  return value;
}

function webSocketOf(given: WebSocketConstructor | undefined): WebSocketConstructor {
  const ctor = given ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof ctor !== "function") {
    fail("no WebSocket implementation: on Node.js 20 install the ws package and pass it (createClient({ WebSocket, ... }) with import WebSocket from \"ws\")");
  }
  return ctor;
}

/** SSE: a browser's EventSource unless told otherwise; fetch is needed for the ticket anyway. */
function sseConnectorOf(o: ClientOptions, clock: Clock): Connector {
  const rooms = o.rooms ?? [];
  if (!Array.isArray(rooms) || !rooms.every((r) => typeof r === "string" && r.length > 0)) fail("rooms must be an array of room names");
  const global = (globalThis as { fetch?: FetchLike }).fetch;
  if (typeof (o.fetch ?? global) !== "function") fail("transport \"sse\" needs fetch (Node.js 18+, Bun, browsers) or the fetch option");
  // Called as a plain function: a browser's fetch throws "Illegal invocation" when called as a method.
  const fetchFn: FetchLike = (o.fetch as FetchLike | undefined) ?? ((input, init) => global!.call(globalThis, input, init));
  const browserSource = (globalThis as { document?: unknown }).document ? (globalThis as { EventSource?: EventSourceConstructor }).EventSource : undefined;
  const EventSource = o.EventSource === false ? undefined : ((o.EventSource as EventSourceConstructor | undefined) ?? browserSource);
  return sseConnector({ rooms, EventSource, fetch: fetchFn, clock, silenceMs: 45_000 });
}

function wsConnectorOf(o: ClientOptions, encryption: EncryptionPreference): Connector {
  const WebSocket = webSocketOf(o.WebSocket);
  return (url, auth, on) => new Connection({ url, WebSocket, encryption, auth }, on);
}

export function resolveClientOptions(o: ClientOptions): ResolvedClientOptions {
  if (typeof o !== "object" || o === null) fail("options are required");
  const transport = o.transport ?? "ws";
  if (transport !== "ws" && transport !== "sse") fail('transport must be "ws" or "sse"');
  const encryption = o.encryption ?? "auto";
  if (!ENCRYPTION.includes(encryption)) fail(`encryption must be one of ${ENCRYPTION.join(", ")}`);
  if (transport === "sse" && encryption === "required") fail('encryption "required" is not available with transport "sse" (the stream is plaintext; use https)');
  // A receive-only stream cannot send heartbeats: its liveness is the server's keep-alives.
  const heartbeatMs = transport === "sse" ? 0 : ms("heartbeatMs", o.heartbeatMs, 25_000);
  const clock = o.clock ?? systemClock;
  return {
    urls: urlsOf(o.url, transport),
    transport,
    openConnection: transport === "sse" ? sseConnectorOf(o, clock) : wsConnectorOf(o, encryption),
    encryption,
    heartbeatMs,
    heartbeatTimeoutMs: ms("heartbeatTimeoutMs", o.heartbeatTimeoutMs, Math.min(heartbeatMs, 10_000)),
    reconnect: resolveReconnect(o.reconnect === false ? {} : o.reconnect),
    reconnectEnabled: o.reconnect !== false,
    connectTimeoutMs: ms("connectTimeoutMs", o.connectTimeoutMs, 10_000),
    requestTimeoutMs: ms("requestTimeoutMs", o.requestTimeoutMs, 10_000),
    refreshMarginMs: ms("refreshMarginMs", o.refreshMarginMs, 30_000),
    autoConnect: o.autoConnect ?? true,
    plugins: o.recover === false ? [...(o.plugins ?? [])] : [historyRecovery(), ...(o.plugins ?? [])],
    clock,
    random: o.random ?? Math.random,
  };
}
