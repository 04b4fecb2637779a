/**
 * @module server/wiring
 * What the factory derives from the resolved options before it builds anything: the JWT
 * verifier, the core's options, the hooks (built-in JWT unless the application brings its own),
 * the encryption codec factory and the history store.
 */
import { JwtVerifier } from "./auth/jwt.ts";
import type { Broker } from "./broker/broker.ts";
import { supportsCommands } from "./broker/commands.ts";
import { RedisHistory } from "./cluster/redis-history.ts";
import { ConfigError } from "./config/settings.ts";
import type { ResolvedOptions } from "./config/options.ts";
import { MemoryHistory, type HistoryStore } from "./core/history.ts";
import type { CodecFactory, CoreOptions, Hooks } from "./core/types.ts";
import { customCodecFactory } from "./encryption/custom.ts";
import { ecdhCodecFactory } from "./encryption/ecdh.ts";

export function createVerifier(o: ResolvedOptions): JwtVerifier | undefined {
  try {
    return JwtVerifier.create(o);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: JWT_PUBLIC_KEY=<PEM, ${o.jwtPublicKey?.length ?? 0} characters>: expected a PEM public key (${(err as Error).message})`);
  }
}

export function coreOptions(o: ResolvedOptions): CoreOptions {
  return {
    instanceId: o.instanceId, defaultRooms: o.defaultRooms, allowedRooms: o.allowedRooms, authTimeout: o.authTimeout,
    heartbeatInterval: o.heartbeatInterval, heartbeatTimeout: o.heartbeatTimeout, rateLimitPerSecond: o.rateLimitPerSecond,
    maxConnectionsPerUser: o.maxConnectionsPerUser, backpressureLimit: o.backpressureLimit, slowConsumerGraceMs: o.slowConsumerGraceMs,
    encryption: o.encryption, encryptedBatchLimit: o.encryptedBatchLimit, historyRooms: o.historyRooms,
  };
}

/** Built-in JWT authentication and refresh unless the application supplies its own hooks. */
export function resolveHooks(o: ResolvedOptions, verifier: JwtVerifier | undefined): Hooks {
  const h = o.hooks;
  return {
    authenticate: h.authenticate ?? (verifier ? (data) => verifier.authenticate(data.token) : undefined),
    refresh: h.refresh ?? (verifier ? ({ token }) => verifier.authenticate(token) : undefined),
    validateRooms: h.validateRooms,
    onClientConnected: h.onClientConnected,
    onClientDisconnected: h.onClientDisconnected,
    onMessage: h.onMessage,
  };
}

/** Custom hooks replace the built-in ECDH encryption; with ENCRYPTION=off there is no codec at all. */
export function resolveCodecFactory(o: ResolvedOptions): CodecFactory | undefined {
  const { handshake, outboundTransformer } = o.hooks;
  if (handshake && outboundTransformer) return customCodecFactory(handshake, outboundTransformer);
  if (o.encryption === "off") return undefined;
  return ecdhCodecFactory();
}

/** History rooms keep their messages in Redis when the broker has commands, else in memory. */
export function createHistory(o: ResolvedOptions, broker: Broker): HistoryStore {
  const ttlMs = o.historyTtlSeconds * 1000;
  return supportsCommands(broker) ? new RedisHistory(broker, o.historySize, ttlMs) : new MemoryHistory(o.historySize, ttlMs);
}
