/**
 * @module server/broker/redis
 * `RedisBroker`: the `Broker` byte pipe over Redis pub/sub (ioredis), single node or Cluster.
 * This is the only module of the server that imports `ioredis`.
 *
 * Channels (ignis §6.2): SUBSCRIBE `ws:broadcast`, PSUBSCRIBE `ws:room:*`, `ws:client:*`,
 * `ws:user:*`, so an upstream Ignis `WebSocketEmitter` (or a raw PUBLISH) reaches every instance;
 * and PSUBSCRIBE `sb:*` for the cluster view's control channels (routed away from the core by
 * server/cluster/router.ts).
 *
 * Outage contract (SPEC §4):
 * - two connections, `pub` and `sub`; both reconnect forever with capped exponential backoff,
 *   and `sub` subscribes again on every (re)connect;
 * - `connected` is true only while `pub` is ready and `sub` is subscribed; health listeners hear
 *   each change once, and each change is logged once (errors in between are not);
 * - a publish while `pub` is down rejects at once: no offline queue, no resend of commands that
 *   were in flight when the link dropped, so nothing is delivered late or twice after recovery;
 * - on a Cluster every publish goes to one pinned master (shared/redis-publish.ts), which keeps
 *   publish order.
 *
 * Ownership: connections the broker creates (from `url` / `clusterNodes`) are closed by
 * `close()`. Injected connections belong to the caller, who closes them; `close()` only detaches
 * the broker's listeners and subscriptions. Injected connections should be made with
 * `redisConnectionOptions()` (or at least `enableOfflineQueue: false`) to keep the contract.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import { backoffDelay, type BackoffPolicy } from "../../shared/backoff.ts";
import { WebSocketChannels } from "../../shared/constants.ts";
import { connectMasters, publisherFor } from "../../shared/redis-publish.ts";
import { silentLogger, type Logger } from "../core/types.ts";
import { CONTROL_PREFIX, type Broker, type BrokerHealthHandler, type BrokerMessageHandler } from "./broker.ts";
import type { CommandArg, CommandCapable } from "./commands.ts";

export type RedisConnection = Redis | Cluster;

export interface RedisBrokerOptions {
  /** `redis://` or `rediss://` URL of a single node. */
  url?: string;
  /** Redis Cluster start nodes as `host:port` (used instead of `url`). */
  clusterNodes?: string[];
  /** Connections made by the caller (see the module note on ownership). */
  connections?: { pub: RedisConnection; sub: RedisConnection };
  log?: Logger;
  /** Reconnect backoff: doubles from `minDelayMs` up to `maxDelayMs`, the lower 20 % random. @default 50 / 2000 */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  /** How long `start()` waits for the first connection before going on degraded. @default 5000 */
  startTimeoutMs?: number;
  /** Upper bound of one publish round trip. @default 2000 */
  publishTimeoutMs?: number;
  /** Shown in Redis `CLIENT LIST`. @default "switchboard" */
  connectionName?: string;
}

const SUBSCRIBED_CHANNELS = [WebSocketChannels.BROADCAST];
const SUBSCRIBED_PATTERNS = [WebSocketChannels.forRoomPattern(), WebSocketChannels.forClientPattern(), WebSocketChannels.forUserPattern(), `${CONTROL_PREFIX}*`];
const CHANNEL_PREFIXES = [WebSocketChannels.ROOM_PREFIX, WebSocketChannels.CLIENT_PREFIX, WebSocketChannels.USER_PREFIX, CONTROL_PREFIX];

/**
 * Reconnect delay of ioredis' attempt `times` (1-based): doubling from `minDelayMs` up to
 * `maxDelayMs`, the lower 20 % random so that many instances do not reconnect in lockstep.
 */
export function reconnectDelay(times: number, o: RedisBrokerOptions["reconnect"] = {}): number {
  const policy: BackoffPolicy = { minDelayMs: o.minDelayMs ?? 50, maxDelayMs: o.maxDelayMs ?? 2000, factor: 2, jitter: 0.2 };
  return Math.round(backoffDelay(times - 1, policy));
}

/**
 * ioredis options that keep the delivery contract: lazy connect, retry forever with backoff,
 * no offline queue, in-flight commands failed (not resent) when the link drops.
 */
export function redisConnectionOptions(o: Pick<RedisBrokerOptions, "reconnect" | "connectionName"> = {}): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5000,
    connectionName: o.connectionName ?? "switchboard",
    retryStrategy: (times) => reconnectDelay(times, o.reconnect),
  };
}

function clusterOptions(o: RedisBrokerOptions): ClusterOptions {
  const { retryStrategy: _r, enableOfflineQueue: _q, lazyConnect: _l, ...redisOptions } = redisConnectionOptions(o);
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: (times) => reconnectDelay(times, o.reconnect),
    redisOptions: { ...redisOptions, autoResubscribe: true },
  };
}

function parseNode(node: string): { host: string; port: number } {
  const i = node.lastIndexOf(":");
  return { host: node.slice(0, i), port: Number(node.slice(i + 1)) };
}

function createConnection(o: RedisBrokerOptions, role: string): RedisConnection {
  const name = `${o.connectionName ?? "switchboard"}:${role}`;
  if (o.clusterNodes && o.clusterNodes.length > 0) return new Cluster(o.clusterNodes.map(parseNode), clusterOptions({ ...o, connectionName: name }));
  if (!o.url) throw new Error("RedisBroker needs a url, clusterNodes or connections");
  return new Redis(o.url, redisConnectionOptions({ ...o, connectionName: name }));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class RedisBroker implements Broker, CommandCapable {
  readonly kind = "redis";
  /** Another instance or an emitter may always be listening on Redis: every publish goes out. */
  readonly isolated = false;
  readonly pub: RedisConnection;
  readonly sub: RedisConnection;
  private readonly owned: boolean;
  private readonly log: Logger;
  private handler?: BrokerMessageHandler;
  private readonly healthHandlers: BrokerHealthHandler[] = [];
  private readonly detach: Array<() => void> = [];
  private pubUp = false;
  private subUp = false;
  /** Bumped whenever `sub` drops, so a subscribe that straddles a drop is not counted. */
  private subGeneration = 0;
  private state = false;
  private lastError?: string;
  private downSince = 0;
  private starting?: Promise<void>;
  private closed = false;
  private closing?: Promise<void>;

  constructor(private readonly options: RedisBrokerOptions) {
    this.log = options.log ?? silentLogger;
    this.owned = !options.connections;
    this.pub = options.connections?.pub ?? createConnection(options, "pub");
    this.sub = options.connections?.sub ?? createConnection(options, "sub");
  }

  get connected(): boolean {
    return this.state;
  }

  /** Connects both links and subscribes. Waits for the first connection up to `startTimeoutMs`, then goes on degraded (it keeps reconnecting). Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.connect();
    return this.starting;
  }

  publish(channel: string, message: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error("redis broker is closed"));
    const target = publisherFor(this.pub);
    if ("down" in target) return Promise.reject(new Error(`redis broker is not connected (${target.down})`));
    try {
      const sent = target.redis.publish(channel, message);
      return withTimeout(sent, this.options.publishTimeoutMs ?? 2000, "redis publish").then(() => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Runs a plain command on the publishing connection (presence records); see `CommandCapable`. */
  command(name: string, ...args: CommandArg[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("redis broker is closed"));
    if (this.pub.status !== "ready") return Promise.reject(new Error(`redis broker is not connected (${this.pub.status})`));
    try {
      return withTimeout(this.pub.call(name, ...args), this.options.publishTimeoutMs ?? 2000, `redis ${name}`);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  onMessage(handler: BrokerMessageHandler): void {
    this.handler = handler;
  }

  onHealth(handler: BrokerHealthHandler): void {
    this.healthHandlers.push(handler);
  }

  /** Closes owned connections (QUIT when ready, else a hard disconnect); detaches from injected ones. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.setState(false);
      if (this.owned) {
        await Promise.all([quit(this.pub), quit(this.sub)]);
      } else if (this.sub.status === "ready") {
        await Promise.allSettled([this.sub.unsubscribe(...SUBSCRIBED_CHANNELS), this.sub.punsubscribe(...SUBSCRIBED_PATTERNS)]);
      }
      for (const off of this.detach.splice(0)) off();
    })();
    return this.closing;
  }

  // ---- connection state ------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.listen(this.pub, "pub", () => this.onPubReady(), () => this.onPubDown());
    this.listen(this.sub, "sub", () => void this.subscribe(), () => this.onSubDown());
    this.on(this.sub, "message", (channel: string, message: string) => this.receive(channel, message));
    this.on(this.sub, "pmessage", (_pattern: string, channel: string, message: string) => this.receive(channel, message));
    if (this.pub.status === "ready") this.onPubReady();
    if (this.sub.status === "ready") void this.subscribe();
    for (const conn of [this.pub, this.sub]) {
      if (conn.status === "wait") conn.connect().catch(() => undefined); // failures surface as `error` events and retries
    }
    const up = await this.waitConnected(this.options.startTimeoutMs ?? 5000);
    if (!up && !this.closed) {
      this.log.error({ broker: this.kind, target: this.describeTarget(), err: this.lastError }, "redis unreachable at start; serving locally and reconnecting in the background");
    }
  }

  private listen(conn: RedisConnection, role: string, onReady: () => void, onDown: () => void): void {
    this.on(conn, "ready", onReady);
    this.on(conn, "close", onDown);
    this.on(conn, "end", onDown);
    // Without an `error` listener ioredis would crash the process; the message is kept for the
    // next state-change log line instead of being logged per attempt.
    this.on(conn, "error", (err: Error) => {
      this.lastError = `${role}: ${err.message}`;
    });
  }

  private on(conn: RedisConnection, event: string, fn: (...args: any[]) => void): void {
    conn.on(event, fn);
    this.detach.push(() => conn.off(event, fn));
  }

  private onPubReady(): void {
    void connectMasters(this.pub).then(() => {
      if (this.pub.status !== "ready") return;
      this.pubUp = true;
      this.refresh();
    });
  }

  private onPubDown(): void {
    this.pubUp = false;
    this.refresh();
  }

  private onSubDown(): void {
    this.subGeneration += 1;
    this.subUp = false;
    this.refresh();
  }

  /** (Re-)subscribes after every `ready` of `sub`; counted only if `sub` did not drop meanwhile. */
  private async subscribe(): Promise<void> {
    const generation = this.subGeneration;
    try {
      await Promise.all([this.sub.subscribe(...SUBSCRIBED_CHANNELS), this.sub.psubscribe(...SUBSCRIBED_PATTERNS)]);
    } catch (err) {
      this.lastError = `sub: ${(err as Error).message}`;
      return; // the next `ready` tries again
    }
    if (generation !== this.subGeneration || this.closed) return;
    this.subUp = true;
    this.refresh();
  }

  private refresh(): void {
    if (this.closed) return;
    this.setState(this.pubUp && this.subUp, this.lastError);
  }

  private setState(up: boolean, reason?: string): void {
    if (up === this.state) return;
    this.state = up;
    const now = Date.now();
    if (up) {
      const fields = { broker: this.kind, target: this.describeTarget(), ...(this.downSince ? { downMs: now - this.downSince } : {}) };
      this.log.info(fields, this.downSince ? "redis broker reconnected and resubscribed" : "redis broker connected");
      this.lastError = undefined;
    } else {
      this.downSince = now;
      if (!this.closed) this.log.error({ broker: this.kind, target: this.describeTarget(), err: reason }, "redis broker disconnected; cross-instance delivery paused, reconnecting");
    }
    for (const handler of [...this.healthHandlers]) {
      try {
        handler(up);
      } catch (err) {
        this.log.error({ err: String(err) }, "broker health listener threw");
      }
    }
  }

  /** Resolves true once connected, false after `ms` (or when closed). */
  private waitConnected(ms: number): Promise<boolean> {
    if (this.state) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.healthHandlers.splice(this.healthHandlers.indexOf(listener), 1);
        resolve(up);
      };
      const listener: BrokerHealthHandler = (up) => {
        if (up || this.closed) done(up);
      };
      const timer = setTimeout(() => done(this.state), ms);
      this.healthHandlers.push(listener);
    });
  }

  private receive(channel: string, message: string): void {
    if (channel !== WebSocketChannels.BROADCAST && !CHANNEL_PREFIXES.some((p) => channel.startsWith(p))) return;
    try {
      this.handler?.(channel, message);
    } catch (err) {
      this.log.error({ channel, err: String(err) }, "broker message handler threw");
    }
  }

  private describeTarget(): string {
    if (this.options.clusterNodes?.length) return `cluster ${this.options.clusterNodes.join(",")}`;
    if (this.options.url) return redactUrl(this.options.url);
    return "injected connections";
  }
}

/** Shows a Redis URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<invalid url>";
  }
}

async function quit(conn: RedisConnection): Promise<void> {
  if (conn.status === "ready") {
    try {
      await withTimeout(conn.quit(), 1000, "redis quit");
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect();
}
