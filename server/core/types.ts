/**
 * @module server/core/types
 * Hook signatures (the Ignis ones, under Switchboard's names) and the resolved core options.
 */
import type { InboundFrame, OutboundFrame } from "../../shared/protocol.ts";
import type { ClientRecord } from "./registry.ts";

type MaybePromise<T> = T | Promise<T>;

/** What an authenticator returns to accept a client; falsy rejects it (4003). */
export interface AuthResult {
  userId?: string;
  metadata?: unknown;
  /** Room patterns this client may join (the token's `rooms` claim). */
  rooms?: string[];
  /** When the credential expires (epoch ms): the session is closed 4009 then unless refreshed. */
  expiresAt?: number;
  /** Shown to other members of presence rooms (the token's `info` claim; see presenceInfo). */
  info?: Record<string, unknown>;
}

export type AuthenticateHook = (data: Record<string, unknown>) => MaybePromise<AuthResult | null | false | undefined>;
export type RefreshHook = (args: { clientId: string; userId?: string; token: string }) => MaybePromise<AuthResult | null | false | undefined>;
export type ValidateRoomsHook = (args: { clientId: string; userId?: string; rooms: string[] }) => MaybePromise<string[] | null | false | undefined>;
export type ClientConnectedHook = (args: { clientId: string; userId?: string; metadata?: unknown }) => unknown;
export type ClientDisconnectedHook = (args: { clientId: string; userId?: string; metadata?: unknown; code: number; reason: string }) => unknown;
export type MessageHook = (args: { clientId: string; userId?: string; message: InboundFrame & Record<string, unknown> }) => unknown;
export type OutboundTransformer = (args: { client: ClientRecord; event: string; data: unknown }) => MaybePromise<{ event: string; data: unknown } | null | undefined>;
export type HandshakeHook = (args: { clientId: string; userId?: string; data: Record<string, unknown> }) => MaybePromise<{ serverPublicKey: string; salt: string } | null | false | undefined>;

/**
 * Per-session encoder installed after an encryption handshake. Every frame to the session goes
 * through `encode`; a rejection drops that frame (never a plaintext fallback).
 */
export interface SessionCodec {
  encode(frame: OutboundFrame): Promise<string>;
  /** Decrypts the `data` of an inbound `encrypted` frame into the inner frame's JSON text. */
  decode?(data: unknown): Promise<string>;
}

export interface HandshakeResult {
  codec: SessionCodec;
  serverPublicKey?: string;
  salt?: string;
}

/**
 * Sets up a session's codec from the authenticate payload. Returns null when the client offered
 * no key; throws (or returns `false`) when the key is invalid.
 */
export type CodecFactory = (args: { clientId: string; userId?: string; data: Record<string, unknown>; record: ClientRecord }) => Promise<HandshakeResult | null | false>;

/**
 * A built-in request event served by a server module rather than `onMessage` (for example
 * `presence`). Its result is the ack's `result`; a `RequestError` becomes a failed ack with its code.
 */
export type RequestHandler = (args: { clientId: string; userId?: string; rooms: { has(room: string): boolean }; data: unknown }) => Promise<unknown>;

export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export interface Hooks {
  authenticate?: AuthenticateHook;
  refresh?: RefreshHook;
  validateRooms?: ValidateRoomsHook;
  onClientConnected?: ClientConnectedHook;
  onClientDisconnected?: ClientDisconnectedHook;
  onMessage?: MessageHook;
}

export type EncryptionMode = "off" | "optional" | "required";

/** Options of the core, resolved and validated once before the hub is built. */
export interface CoreOptions {
  instanceId: string;
  defaultRooms: string[];
  /** Patterns any authenticated client may join (`*` wildcard, `{userId}` placeholder). */
  allowedRooms: string[];
  authTimeout: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  /** Inbound frames per second per connection (burst 2×); 0 = off. */
  rateLimitPerSecond: number;
  /** 0 = unlimited. */
  maxConnectionsPerUser: number;
  /** Send-buffer size above which the slow-consumer grace period starts. */
  backpressureLimit: number;
  slowConsumerGraceMs: number;
  encryption: EncryptionMode;
  encryptedBatchLimit: number;
  /** Room patterns whose messages are kept for recovery (empty = none). */
  historyRooms: string[];
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
