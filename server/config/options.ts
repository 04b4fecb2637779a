/**
 * @module server/config/options
 * The library's options object: every SPEC §2 setting (camelCase), the Ignis/Bun settings of
 * SPEC §6, hooks and the broker. `resolveOptions` merges defaults, validates every value with the
 * rules of `settings.ts`, checks combinations, and decides development mode — once, before
 * anything starts. Invalid input throws a `ConfigError` whose message is one line.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Broker } from "../broker/broker.ts";
import type {
  AuthenticateHook, ClientConnectedHook, ClientDisconnectedHook, EncryptionMode, HandshakeHook, Hooks, Logger,
  MessageHook, OutboundTransformer, ValidateRoomsHook,
} from "../core/types.ts";
import { ConfigError, SETTINGS, validateSetting, type SettingKey } from "./settings.ts";
import type { WebhookEventName } from "../../shared/webhooks.ts";
import { readTlsFiles } from "./tls.ts";

type SettingValues = {
  port: number; host: string; path: string; ssePath: string; sse: "on" | "off"; redisUrl?: string; redisClusterNodes?: string[]; instanceId: string;
  jwtSecret?: string; jwtPublicKey?: string; jwtJwksUrl?: string; jwtIssuer?: string; jwtAudience?: string; jwtAlgorithms: string[];
  adminToken?: string; viewerToken?: string; emitToken?: string;
  authTimeout: number; heartbeatInterval: number; heartbeatTimeout: number; maxPayloadLength: number; idleTimeout: number;
  perMessageDeflate: boolean; backpressureLimit: number; defaultRooms: string[]; allowedRooms: string[]; encryption: EncryptionMode;
  allowedOrigins: string[]; maxConnections: number; maxConnectionsPerUser: number; rateLimitPerSecond: number;
  /** Sockets not yet authenticated (plus upgrades in flight) beyond which upgrades get 503; 0 = unlimited. */
  maxUnauthenticated: number;
  logLevel: "debug" | "info" | "warn" | "error"; historyRooms: string[]; historySize: number; historyTtlSeconds: number;
  /** Lifetime of an instance's presence records in Redis (refreshed every third of it). */
  presenceTtlMs: number;
  /** How long an `Idempotency-Key` of a REST emit is remembered, from the first request. */
  idempotencyTtlSeconds: number;
  webhookUrls: string[]; webhookSecret?: string; webhookEvents: WebhookEventName[]; webhookBatchMs: number; webhookTimeoutMs: number;
  webhookRetryWindowS: number; webhookVacateDelayMs: number;
  /** PEM files served for HTTPS/WSS by `listen()` (SPEC §16); both or neither. */
  tlsCertFile?: string; tlsKeyFile?: string;
  /** Proxies whose X-Forwarded-* headers are believed (`loopback`, addresses, CIDRs); [] = none. */
  trustProxy: string[];
  /** Presence rooms (SPEC §12): patterns as in ALLOWED_ROOMS. */
  presenceRooms: string[];
  /** A disconnect's presence:leave waits this long for the same user to come back. */
  presenceLeaveGraceMs: number;
  /** Above this many members a presence room stops sending join/leave events. */
  presenceMaxMembers: number;
};

/** Settings (SPEC §2, camelCase), Ignis/Bun options, hooks (`Hooks` plus the encryption pair), broker, logger. */
export interface SwitchboardOptions extends Partial<SettingValues>, Hooks {
  /** Logger scope (Ignis `identifier`). @default "switchboard" */
  identifier?: string;
  /** Ignis name for `encryption: "required"`. */
  requireEncryption?: boolean;
  /** Concurrent encodings for encrypted members during fan-out. @default 10 */
  encryptedBatchLimit?: number;
  /** How long a send buffer may stay above `backpressureLimit` before 4006. @default 3000 */
  slowConsumerGraceMs?: number;
  /** Bun: send WebSocket pings before the idle timeout. @default true */
  sendPings?: boolean;
  /** Bun: accepted for Ignis compatibility; the server only publishes through the server object. @default false */
  publishToSelf?: boolean;
  /**
   * Bun: close a socket abruptly (1006) when its buffer exceeds 16 × `backpressureLimit`. Off by
   * default: the hub closes slow consumers itself with 4006, which clients understand.
   * @default false
   */
  closeOnBackpressureLimit?: boolean;
  /** SSE: how long a ticket from `POST <SSE_PATH>/ticket` stays redeemable. @default 30000 */
  sseTicketTtlMs?: number;
  /** SSE: interval of the keep-alive comment (capped at half of HEARTBEAT_TIMEOUT_MS). @default 15000 */
  sseKeepAliveMs?: number;
  /** Admin channel: events per second above which it streams aggregated counts. @default 200 */
  adminAggregateAbove?: number;
  /** Admin channel: per-socket send buffer above which stream frames are dropped. @default 1 MiB */
  adminBufferLimit?: number;
  /** `NODE_ENV` as seen by the server. @default process.env.NODE_ENV */
  nodeEnv?: string;
  /**
   * Where development mode's credentials come from, called only when that mode applies. The CLI
   * keeps them in `.switchboard-dev.json` so that they survive restarts.
   * @default fresh random ones at every start
   */
  developmentCredentials?: () => DevCredentials;
  outboundTransformer?: OutboundTransformer;
  handshake?: HandshakeHook;
  broker?: Broker;
  logger?: Logger;
  /** Ignis hook names, accepted as aliases. */
  authenticateFn?: AuthenticateHook;
  validateRoomFn?: ValidateRoomsHook;
  clientConnectedFn?: ClientConnectedHook;
  clientDisconnectedFn?: ClientDisconnectedHook;
  messageHandler?: MessageHook;
  handshakeFn?: HandshakeHook;
}

/** Development mode's HS256 secret (≥ 32 bytes) and admin token. */
export interface DevCredentials {
  jwtSecret: string;
  adminToken: string;
}

export function randomDevCredentials(): DevCredentials {
  return { jwtSecret: randomBytes(32).toString("base64url"), adminToken: randomBytes(24).toString("base64url") };
}

export interface ResolvedOptions extends SettingValues {
  identifier: string;
  encryptedBatchLimit: number;
  slowConsumerGraceMs: number;
  sendPings: boolean;
  publishToSelf: boolean;
  closeOnBackpressureLimit: boolean;
  sseTicketTtlMs: number;
  sseKeepAliveMs: number;
  adminAggregateAbove: number;
  adminBufferLimit: number;
  production: boolean;
  /** Set in development mode: generated credentials the CLI prints. */
  devCredentials?: DevCredentials;
  hooks: Pick<SwitchboardOptions, "authenticate" | "refresh" | "validateRooms" | "onClientConnected" | "onClientDisconnected" | "onMessage" | "outboundTransformer" | "handshake">;
  broker?: Broker;
  logger?: Logger;
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(`Invalid option ${name}=${JSON.stringify(value)}: expected a positive integer`);
  }
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new ConfigError(`Invalid option ${name}=${JSON.stringify(value)}: expected true or false`);
  return value;
}

function resolveSettings(input: SwitchboardOptions): SettingValues {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const given = (input as Record<string, unknown>)[key];
    out[key] = given === undefined ? SETTINGS[key].default : validateSetting(key, given);
  }
  out.instanceId ??= randomUUID();
  if (input.requireEncryption === true) out.encryption = "required";
  const hasKey = out.jwtSecret !== undefined;
  out.jwtAlgorithms ??= hasKey ? ["HS256"] : ["RS256", "ES256", "EdDSA"];
  return out as SettingValues;
}

function hooksOf(input: SwitchboardOptions): ResolvedOptions["hooks"] {
  return {
    authenticate: input.authenticate ?? input.authenticateFn,
    refresh: input.refresh,
    validateRooms: input.validateRooms ?? input.validateRoomFn,
    onClientConnected: input.onClientConnected ?? input.clientConnectedFn,
    onClientDisconnected: input.onClientDisconnected ?? input.clientDisconnectedFn,
    onMessage: input.onMessage ?? input.messageHandler,
    outboundTransformer: input.outboundTransformer,
    handshake: input.handshake ?? input.handshakeFn,
  };
}

/** Cross-setting checks: things that would otherwise fail at runtime on a client's socket. */
function checkCombinations(o: ResolvedOptions): void {
  const keys = [o.jwtSecret, o.jwtPublicKey, o.jwtJwksUrl].filter((k) => k !== undefined).length;
  if (keys > 1) throw new ConfigError("Invalid configuration: set only one of JWT_SECRET, JWT_PUBLIC_KEY and JWT_JWKS_URL");
  const symmetric = o.jwtAlgorithms.some((a) => a.startsWith("HS"));
  const asymmetric = o.jwtAlgorithms.some((a) => !a.startsWith("HS"));
  if (o.jwtSecret && asymmetric) throw new ConfigError(`Invalid configuration: JWT_ALGORITHMS=${JSON.stringify(o.jwtAlgorithms.join(","))}: expected only HS* algorithms with JWT_SECRET`);
  if ((o.jwtPublicKey || o.jwtJwksUrl) && symmetric) throw new ConfigError(`Invalid configuration: JWT_ALGORITHMS=${JSON.stringify(o.jwtAlgorithms.join(","))}: expected no HS* algorithm with a public key or JWKS`);
  readTlsFiles({ certFile: o.tlsCertFile, keyFile: o.tlsKeyFile });
  if (o.heartbeatTimeout < o.heartbeatInterval) {
    throw new ConfigError(`Invalid configuration: HEARTBEAT_TIMEOUT_MS=${o.heartbeatTimeout}: expected at least HEARTBEAT_INTERVAL_MS (${o.heartbeatInterval})`);
  }
  checkSsePath(o);
  if (o.hooks.handshake && !o.hooks.outboundTransformer) {
    throw new ConfigError("Invalid options: a custom handshake needs an outboundTransformer (otherwise encrypted clients would receive nothing or plaintext)");
  }
  if (o.hooks.outboundTransformer && !o.hooks.handshake) {
    throw new ConfigError("Invalid options: an outboundTransformer needs a custom handshake to key the sessions it encodes for");
  }
  if (o.webhookUrls.length > 0 && o.webhookSecret === undefined) {
    throw new ConfigError(`Invalid configuration: WEBHOOK_SECRET is not set: expected a secret of at least 16 characters with WEBHOOK_URLS (receivers verify every request with it)`);
  }
  if (o.encryption === "off" && o.hooks.handshake) {
    throw new ConfigError('Invalid options: a handshake hook is given but ENCRYPTION is "off", so it would never run');
  }
}

/** Paths the server answers itself; the SSE stream and its ticket route must not shadow them. */
const RESERVED_PREFIXES = ["/api", "/admin", "/metrics"];

function checkSsePath(o: ResolvedOptions): void {
  if (o.sse === "off") return;
  const p = o.ssePath;
  const clash = p === o.path || `${p}/ticket` === o.path || RESERVED_PREFIXES.some((r) => p === r || p.startsWith(`${r}/`));
  if (clash) throw new ConfigError(`Invalid configuration: SSE_PATH=${JSON.stringify(p)}: expected a path other than WS_PATH (${o.path}), /api, /admin and /metrics`);
}

/**
 * Development mode (SPEC §2): a secret and an admin token are made up when neither a JWT key nor
 * ADMIN_TOKEN is configured (and NODE_ENV is not production). Configuring either turns the mode
 * off entirely: a JWT key without ADMIN_TOKEN is a valid set-up (admin access is by
 * VIEWER_TOKEN/EMIT_TOKEN or a JWT with a `role` claim; the CLI warns when no static token is
 * set), ADMIN_TOKEN without a key or an authenticate hook is refused.
 */
function applyDevelopmentMode(o: ResolvedOptions, source: () => DevCredentials): void {
  const hasKey = Boolean(o.jwtSecret || o.jwtPublicKey || o.jwtJwksUrl);
  if (hasKey || o.adminToken) {
    if (!hasKey && !o.hooks.authenticate) {
      throw new ConfigError("Invalid configuration: clients cannot authenticate: set JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL");
    }
    return;
  }
  if (o.production) {
    throw new ConfigError("Invalid configuration: NODE_ENV=production needs JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL and ADMIN_TOKEN (no development credentials in production)");
  }
  const dev = source();
  o.devCredentials = dev;
  if (!o.hooks.authenticate) o.jwtSecret = dev.jwtSecret;
  o.jwtAlgorithms = ["HS256"];
  o.adminToken = dev.adminToken;
}

export function resolveOptions(input: SwitchboardOptions = {}): ResolvedOptions {
  const nodeEnv = input.nodeEnv ?? process.env.NODE_ENV;
  const resolved: ResolvedOptions = {
    ...resolveSettings(input),
    identifier: input.identifier ?? "switchboard",
    encryptedBatchLimit: positiveInt("encryptedBatchLimit", input.encryptedBatchLimit, 10),
    slowConsumerGraceMs: positiveInt("slowConsumerGraceMs", input.slowConsumerGraceMs, 3000),
    sendPings: bool("sendPings", input.sendPings, true),
    publishToSelf: bool("publishToSelf", input.publishToSelf, false),
    closeOnBackpressureLimit: bool("closeOnBackpressureLimit", input.closeOnBackpressureLimit, false),
    sseTicketTtlMs: positiveInt("sseTicketTtlMs", input.sseTicketTtlMs, 30_000),
    sseKeepAliveMs: positiveInt("sseKeepAliveMs", input.sseKeepAliveMs, 15_000),
    adminAggregateAbove: positiveInt("adminAggregateAbove", input.adminAggregateAbove, 200),
    adminBufferLimit: positiveInt("adminBufferLimit", input.adminBufferLimit, 1024 * 1024),
    production: nodeEnv === "production",
    hooks: hooksOf(input),
    broker: input.broker,
    logger: input.logger,
  };
  checkCombinations(resolved);
  applyDevelopmentMode(resolved, input.developmentCredentials ?? randomDevCredentials);
  return resolved;
}
