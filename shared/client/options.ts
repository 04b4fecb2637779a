/**
 * @module shared/client/options
 * Validates the client options once, at creation, so that a typo fails loudly instead of
 * turning into a reconnect loop.
 */
import { resolveReconnect } from "./backoff.ts";
import { historyRecovery } from "./history.ts";
import type { Clock, ClientOptions, ClientPlugin, EncryptionPreference, ReconnectOptions, WebSocketConstructor } from "./types.ts";

export interface ResolvedClientOptions {
  urls: string[];
  encryption: EncryptionPreference;
  heartbeatMs: number;
  heartbeatTimeoutMs: number;
  reconnect: ReconnectOptions;
  reconnectEnabled: boolean;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  refreshMarginMs: number;
  WebSocket: WebSocketConstructor;
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

function urlsOf(url: unknown): string[] {
  const urls = Array.isArray(url) ? url : [url];
  if (urls.length === 0) fail("url needs at least one ws:// or wss:// URL");
  for (const u of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(u));
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== "ws:" && parsed.protocol !== "wss:")) fail(`url ${JSON.stringify(u)} is not a ws:// or wss:// URL`);
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

export function resolveClientOptions(o: ClientOptions): ResolvedClientOptions {
  if (typeof o !== "object" || o === null) fail("options are required");
  const encryption = o.encryption ?? "auto";
  if (!ENCRYPTION.includes(encryption)) fail(`encryption must be one of ${ENCRYPTION.join(", ")}`);
  const heartbeatMs = ms("heartbeatMs", o.heartbeatMs, 25_000);
  return {
    urls: urlsOf(o.url),
    encryption,
    heartbeatMs,
    heartbeatTimeoutMs: ms("heartbeatTimeoutMs", o.heartbeatTimeoutMs, Math.min(heartbeatMs, 10_000)),
    reconnect: resolveReconnect(o.reconnect === false ? {} : o.reconnect),
    reconnectEnabled: o.reconnect !== false,
    connectTimeoutMs: ms("connectTimeoutMs", o.connectTimeoutMs, 10_000),
    requestTimeoutMs: ms("requestTimeoutMs", o.requestTimeoutMs, 10_000),
    refreshMarginMs: ms("refreshMarginMs", o.refreshMarginMs, 30_000),
    WebSocket: webSocketOf(o.WebSocket),
    autoConnect: o.autoConnect ?? true,
    plugins: o.recover === false ? [...(o.plugins ?? [])] : [historyRecovery(), ...(o.plugins ?? [])],
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
  };
}
