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

type SettingValues = {
  port: number; host: string; path: string; redisUrl?: string; redisClusterNodes?: string[]; instanceId: string;
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
  /** Admin channel: events per second above which it streams aggregated counts. @default 200 */
  adminAggregateAbove?: number;
  /** Admin channel: per-socket send buffer above which stream frames are dropped. @default 1 MiB */
  adminBufferLimit?: number;
  /** `NODE_ENV` as seen by the server. @default process.env.NODE_ENV */
  nodeEnv?: string;
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

export interface ResolvedOptions extends SettingValues {
  identifier: string;
  encryptedBatchLimit: number;
  slowConsumerGraceMs: number;
  sendPings: boolean;
  publishToSelf: boolean;
  closeOnBackpressureLimit: boolean;
  adminAggregateAbove: number;
  adminBufferLimit: number;
  production: boolean;
  /** Set in development mode: generated credentials the CLI prints. */
  devCredentials?: { jwtSecret: string; adminToken: string };
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
  if (o.heartbeatTimeout < o.heartbeatInterval) {
    throw new ConfigError(`Invalid configuration: HEARTBEAT_TIMEOUT_MS=${o.heartbeatTimeout}: expected at least HEARTBEAT_INTERVAL_MS (${o.heartbeatInterval})`);
  }
  if (o.hooks.handshake && !o.hooks.outboundTransformer) {
    throw new ConfigError("Invalid options: a custom handshake needs an outboundTransformer (otherwise encrypted clients would receive nothing or plaintext)");
  }
  if (o.hooks.outboundTransformer && !o.hooks.handshake) {
    throw new ConfigError("Invalid options: an outboundTransformer needs a custom handshake to key the sessions it encodes for");
  }
  if (o.encryption === "off" && o.hooks.handshake) {
    throw new ConfigError('Invalid options: a handshake hook is given but ENCRYPTION is "off", so it would never run');
  }
}

/** Development mode (SPEC §2): ephemeral secret and admin token when nothing is configured. */
function applyDevelopmentMode(o: ResolvedOptions): void {
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
  const dev = { jwtSecret: randomBytes(32).toString("base64url"), adminToken: randomBytes(24).toString("base64url") };
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
    adminAggregateAbove: positiveInt("adminAggregateAbove", input.adminAggregateAbove, 200),
    adminBufferLimit: positiveInt("adminBufferLimit", input.adminBufferLimit, 1024 * 1024),
    production: nodeEnv === "production",
    hooks: hooksOf(input),
    broker: input.broker,
    logger: input.logger,
  };
  checkCombinations(resolved);
  applyDevelopmentMode(resolved);
  return resolved;
}
