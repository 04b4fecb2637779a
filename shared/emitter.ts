/**
 * @module shared/emitter
 * A standalone emitter for workers and other services (ignis §7 `WebSocketEmitter`): it
 * publishes the Ignis envelope with `serverId: "emitter"` on the Ignis channels, so every
 * Switchboard instance (and every Ignis server) on the same Redis delivers it to its clients.
 * Runs on Node.js 20+ and Bun: it imports `ioredis` and nothing runtime-specific.
 *
 *   const emitter = createEmitter({ redisUrl: "redis://localhost:6379" });
 *   await emitter.toRoom("lobby", "news", { a: 1 }, { exclude: [clientId] });
 *   await emitter.shutdown();
 *
 * Each method also takes the Ignis object form (`toRoom({ room, event, data, exclude })`).
 * Several rooms (`toRoom(["a", "b"], …)`) are sent as one Switchboard `rooms` envelope, so a
 * client in both rooms gets the message once; Ignis servers do not know that type.
 *
 * Delivery: a publish waits for the connection up to `connectTimeoutMs`, then rejects; there is
 * no offline queue, so a message is never delivered late or twice after an outage. Methods
 * resolve to the number of Redis subscribers that took the envelope (one per instance on a
 * single node; on a Cluster, only those connected to the node that took the publish).
 */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { EMITTER_SERVER_ID, WebSocketChannels } from "./constants.ts";
import type { ClusterEnvelope } from "./protocol.ts";
import { connectMasters, publisherFor } from "./redis-publish.ts";

export interface EmitterOptions {
  /** `redis://` or `rediss://` URL of a single node. */
  redisUrl?: string;
  /** Redis Cluster start nodes as `host:port`. */
  clusterNodes?: string[];
  /** A connection made by the caller, who also closes it (`shutdown()` leaves it open). */
  redis?: Redis | Cluster;
  /** How long a publish waits for Redis before rejecting. @default 5000 */
  connectTimeoutMs?: number;
}

export interface ExcludeOption {
  /** Client ids that must not receive the message. */
  exclude?: string[];
}

export interface Emitter {
  toClient(clientId: string, event: string, data?: unknown): Promise<number>;
  toClient(message: { clientId: string; event: string; data?: unknown }): Promise<number>;
  toUser(userId: string, event: string, data?: unknown, options?: ExcludeOption): Promise<number>;
  toUser(message: { userId: string; event: string; data?: unknown } & ExcludeOption): Promise<number>;
  toRoom(room: string | string[], event: string, data?: unknown, options?: ExcludeOption): Promise<number>;
  toRoom(message: { room: string | string[]; event: string; data?: unknown } & ExcludeOption): Promise<number>;
  broadcast(event: string, data?: unknown, options?: ExcludeOption): Promise<number>;
  broadcast(message: { event: string; data?: unknown } & ExcludeOption): Promise<number>;
  /** Closes the connection the emitter made; later sends reject. Idempotent. */
  shutdown(): Promise<void>;
}

type Connection = Redis | Cluster;

const CONNECTION_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 5000,
  connectionName: "switchboard:emitter",
  retryStrategy: (attempt) => Math.min(2000, 50 * 2 ** Math.min(attempt, 10)),
};

function connect(o: EmitterOptions): Connection {
  if (o.clusterNodes && o.clusterNodes.length > 0) {
    const nodes = o.clusterNodes.map((n) => ({ host: n.slice(0, n.lastIndexOf(":")), port: Number(n.slice(n.lastIndexOf(":") + 1)) }));
    const { retryStrategy, enableOfflineQueue: _q, lazyConnect: _l, ...redisOptions } = CONNECTION_OPTIONS;
    return new Cluster(nodes, { lazyConnect: true, enableOfflineQueue: false, clusterRetryStrategy: retryStrategy, redisOptions });
  }
  if (!o.redisUrl) throw new TypeError("createEmitter: give redisUrl, clusterNodes or redis");
  return new Redis(o.redisUrl, CONNECTION_OPTIONS);
}

function nonEmpty(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) throw new TypeError(`switchboard emitter: ${what} must be a non-empty string`);
  return value;
}

/** The envelope and channel for one send; throws a TypeError on a missing target or event. */
export function emitterEnvelope(
  type: "client" | "user" | "room" | "broadcast",
  target: string | string[] | undefined,
  event: string,
  data: unknown,
  exclude: string[] | undefined,
): { channel: string; envelope: ClusterEnvelope } {
  nonEmpty(event, "event");
  const ex = exclude && exclude.length > 0 && type !== "client" ? { exclude: [...exclude] } : {};
  const base = { serverId: EMITTER_SERVER_ID, event, data, ...ex };
  if (type === "broadcast") return { channel: WebSocketChannels.BROADCAST, envelope: { ...base, type } };
  if (Array.isArray(target)) {
    if (target.length === 0) throw new TypeError("switchboard emitter: rooms must not be empty");
    target.forEach((room) => nonEmpty(room, "room"));
    if (target.length > 1) return { channel: WebSocketChannels.forRoom({ room: target[0]! }), envelope: { ...base, type: "rooms", targets: [...target] } };
    target = target[0];
  }
  const id = nonEmpty(target, type === "client" ? "clientId" : type === "user" ? "userId" : "room");
  const channel = type === "client" ? WebSocketChannels.forClient({ clientId: id }) : type === "user" ? WebSocketChannels.forUser({ userId: id }) : WebSocketChannels.forRoom({ room: id });
  return { channel, envelope: { ...base, type, target: id } };
}

class RedisEmitter implements Emitter {
  private readonly redis: Connection;
  private readonly owned: boolean;
  private lastError?: string;
  private closed = false;
  private readonly onError = (err: Error) => {
    this.lastError = err.message; // kept for the rejection message; ioredis needs a listener
  };

  constructor(private readonly o: EmitterOptions) {
    this.owned = !o.redis;
    this.redis = o.redis ?? connect(o);
    this.redis.on("error", this.onError);
  }

  toClient(a: string | { clientId: string; event: string; data?: unknown }, event?: string, data?: unknown): Promise<number> {
    const m = typeof a === "object" ? a : { clientId: a, event: event!, data };
    return this.send("client", m.clientId, m.event, m.data, undefined);
  }

  toUser(a: string | ({ userId: string; event: string; data?: unknown } & ExcludeOption), event?: string, data?: unknown, o: ExcludeOption = {}): Promise<number> {
    const m = typeof a === "object" ? a : { userId: a, event: event!, data, exclude: o.exclude };
    return this.send("user", m.userId, m.event, m.data, m.exclude);
  }

  toRoom(a: string | string[] | ({ room: string | string[]; event: string; data?: unknown } & ExcludeOption), event?: string, data?: unknown, o: ExcludeOption = {}): Promise<number> {
    const m = typeof a === "object" && !Array.isArray(a) ? a : { room: a, event: event!, data, exclude: o.exclude };
    return this.send("room", m.room, m.event, m.data, m.exclude);
  }

  broadcast(a: string | ({ event: string; data?: unknown } & ExcludeOption), data?: unknown, o: ExcludeOption = {}): Promise<number> {
    const m = typeof a === "object" ? a : { event: a, data, exclude: o.exclude };
    return this.send("broadcast", undefined, m.event, m.data, m.exclude);
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.owned) return void this.redis.off("error", this.onError);
    if (this.redis.status === "ready") await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async send(type: "client" | "user" | "room" | "broadcast", target: string | string[] | undefined, event: string, data: unknown, exclude?: string[]): Promise<number> {
    const { channel, envelope } = emitterEnvelope(type, target, event, data, exclude);
    await this.ready();
    await connectMasters(this.redis);
    const on = publisherFor(this.redis);
    if ("down" in on) throw new Error(`switchboard emitter: Redis not connected (${on.down})`);
    return on.redis.publish(channel, JSON.stringify(envelope));
  }

  /** Resolves when the connection is ready (connecting a lazy one), rejects after `connectTimeoutMs`. */
  private ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("switchboard emitter: shut down"));
    if (this.redis.status === "ready") return Promise.resolve();
    if (this.redis.status === "wait") this.redis.connect().catch(() => undefined); // retried by ioredis; reported below
    const ms = this.o.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.redis.off("ready", onReady);
        reject(new Error(`switchboard emitter: Redis not reachable within ${ms} ms (${this.redis.status}${this.lastError ? `: ${this.lastError}` : ""})`));
      }, ms);
      this.redis.once("ready", onReady);
    });
  }
}

export function createEmitter(options: EmitterOptions): Emitter {
  return new RedisEmitter(options);
}

// The REST counterpart (idempotent emits over HTTP) ships in the same entry point.
export { createRestEmitter, RestEmitError, type RestEmitter, type RestEmitterOptions, type RestEmitOptions, type RestEmitResult, type RestBatchResult, type RestMessage, type RestTarget } from "./rest-emitter.ts";
