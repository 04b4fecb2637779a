/**
 * @module shared/client/types
 * Public types of the client SDK: options, states, the event maps behind the typed `on()`, the
 * plugin extension point and the minimal WebSocket shape the SDK needs (browsers, Bun, Node's
 * global WebSocket and the `ws` package all satisfy it).
 */
import type { PresenceEventData, PresenceOverflowData } from "../presence.ts";
import type { ConnectedData, ErrorData, JoinResult } from "../protocol.ts";

/**
 * `idle` (created with `autoConnect: false`) → `connecting` (socket opening) → `authenticating`
 * (`authenticate` sent, waiting for `connected` and the key exchange) → `connected`; after a drop,
 * `reconnecting` (waiting out the backoff delay) → `connecting` … `closed` is terminal until
 * `connect()` is called again: after `close()` or a close code the table marks as final.
 */
export type ClientState = "idle" | "connecting" | "authenticating" | "connected" | "reconnecting" | "closed";

/**
 * `auto`: offer a key; the session is encrypted when the server agrees (ENCRYPTION=optional or
 * required), plaintext otherwise. `required`: offer a key and refuse a plaintext session (close
 * 4004, no retry). `off`: never offer a key (a server with ENCRYPTION=required then closes 4004).
 */
export type EncryptionPreference = "auto" | "off" | "required";

/**
 * Delay before reconnect attempt `n` (0-based): `ceiling = min(maxDelayMs, minDelayMs × factorⁿ)`,
 * `delay ∈ [ceiling × (1 − jitter), ceiling]`, uniformly. `jitter: 1` is "full jitter".
 */
export interface ReconnectOptions {
  minDelayMs: number;
  maxDelayMs: number;
  factor: number;
  jitter: number;
  /** Consecutive failed attempts before giving up (state `closed`). @default Infinity */
  maxAttempts: number;
}

/** A fixed token, or a function called for a fresh one (on first connect, before expiry, after 4009). */
export type TokenInput = string | (() => string | Promise<string>);

/** Timers and time; injectable so tests can drive the SDK deterministically. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The socket shape the SDK uses (event-handler properties, text frames). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: any) => unknown) | null;
  onmessage: ((ev: any) => unknown) | null;
  onclose: ((ev: any) => unknown) | null;
  onerror: ((ev: any) => unknown) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A decoded server frame (after decryption): `seq`/`room` are present on history-room messages. */
export interface ServerFrame {
  event: string;
  data?: unknown;
  seq?: number;
  room?: string;
}

/** Context handed to plugins before each authentication. */
export interface AuthContext {
  /** True for every connection after the first successful one. */
  reconnect: boolean;
  url: string;
}

/**
 * Extension point (history recovery and similar features plug in here without changing the
 * client): `authenticate` adds fields to `authenticate.data` on every connection (for example
 * `recover: {rooms: {<room>: <last seq>}}`), `frame` sees every application frame before its
 * handlers (with `seq`/`room`), `connected` sees each `connected` payload (with `recovered`).
 */
export interface ClientPlugin {
  authenticate?(ctx: AuthContext): Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
  /** Returning `false` drops the frame (for example a duplicate): no handler sees it. */
  frame?(frame: ServerFrame): boolean | void;
  connected?(data: ConnectedData): void;
  /** Each join ack (including automatic re-joins). */
  joined?(result: JoinResult): void;
  /** Rooms the app left. */
  left?(rooms: string[]): void;
}

export interface ClientOptions {
  /**
   * `ws://…/ws` or `wss://…/ws`; with `transport: "sse"`, the SSE path (`https://…/sse`). With
   * several, each new attempt moves to the next one.
   */
  url: string | string[];
  /**
   * `sse`: receive-only Server-Sent Events (`join`, `leave` and `request` reject with
   * `receive_only`; ask for rooms with `rooms`). Uses EventSource in browsers, fetch elsewhere.
   * @default "ws"
   */
  transport?: "ws" | "sse";
  /** SSE: the rooms to join on every (re)connect, under the server's room policy. */
  rooms?: string[];
  /** SSE: the EventSource to use (a browser's by default; `false` reads with fetch instead). */
  EventSource?: (new (url: string) => { readonly readyState: number; addEventListener(type: string, listener: (ev: any) => void): void; close(): void }) | false;
  /** SSE: the fetch for tickets (and streams without EventSource). @default globalThis.fetch */
  fetch?: (input: string, init?: any) => Promise<Response>;
  token: TokenInput;
  /** @default "auto" */
  encryption?: EncryptionPreference;
  /** Heartbeat period; `0` turns heartbeats off. @default 25000 */
  heartbeatMs?: number;
  /** A heartbeat unanswered this long (and no other frame meanwhile) means a dead server. @default min(heartbeatMs, 10000) */
  heartbeatTimeoutMs?: number;
  /** Backoff settings, or `false` to never reconnect. */
  reconnect?: Partial<ReconnectOptions> | false;
  /** From socket creation to `connected`. @default 10000 */
  connectTimeoutMs?: number;
  /** How long `request`/`join`/`leave` wait for their ack. @default 10000 */
  requestTimeoutMs?: number;
  /** Refresh this long before the token's `exp` (at most a quarter of its remaining life). @default 30000 */
  refreshMarginMs?: number;
  /** Needed where there is no global WebSocket (Node 20: `import WebSocket from "ws"`). */
  WebSocket?: WebSocketConstructor;
  /** Connect right away. @default true */
  autoConnect?: boolean;
  plugins?: ClientPlugin[];
  /** Recover missed history-room messages on reconnect and drop duplicates. @default true */
  recover?: boolean;
  clock?: Clock;
  /** Random source in [0, 1) for the backoff jitter. @default Math.random */
  random?: () => number;
}

export interface StateChange {
  state: ClientState;
  previous: ClientState;
}

/** One socket closed (or failed to open); `willReconnect` tells what the SDK does next. */
export interface CloseEvent {
  code: number;
  reason: string;
  willReconnect: boolean;
  /** The backoff delay before the next attempt, when there is one. */
  delayMs?: number;
}

/** SDK lifecycle events. These names are reserved: server frames with them reach `onAny` only. */
export interface LifecycleEvents {
  state: StateChange;
  close: CloseEvent;
  /** The result of re-joining the app's rooms after a reconnect. */
  rejoin: JoinResult;
}

/** Protocol events an application can listen to. */
export interface ProtocolEvents {
  connected: ConnectedData;
  error: ErrorData;
  /** Presence rooms (SPEC §12): a member arrived / left; keep a roster with `client.room(name).presence()`. */
  "presence:join": PresenceEventData;
  "presence:leave": PresenceEventData;
  "presence:overflow": PresenceOverflowData;
}

/** Everything `on()` knows: lifecycle, protocol, and the application's own server events `S`. */
export type EventMap<S> = LifecycleEvents & ProtocolEvents & S;

export type Handler<T> = (data: T, frame: ServerFrame) => void;
export type AnyHandler = (event: string, data: unknown, frame: ServerFrame) => void;

/** Why a request, `join`, `leave` or `connect()` failed. */
export class SwitchboardError extends Error {
  /** An ack error code from the server, or `timeout`, `disconnected`, `closed`. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = "SwitchboardError";
    this.code = code;
  }
}

export const LocalErrorCodes = Object.freeze({
  /** `join`/`leave`/`request` on the receive-only SSE transport. */
  RECEIVE_ONLY: "receive_only",
  TIMEOUT: "timeout",
  DISCONNECTED: "disconnected",
  CLOSED: "closed",
});
