/**
 * @module server/switchboard
 * The library factory: `createSwitchboard(options)` resolves and validates the options once,
 * builds the hub over a broker (memory unless given), the Bun transport and the REST API, and
 * returns the object an application embeds (`fetch` + `websocket`) or runs (`listen`).
 */
import { Hono } from "hono";
import { JwtVerifier } from "./auth/jwt.ts";
import { RoleResolver } from "./auth/roles.ts";
import type { Broker } from "./broker/broker.ts";
import { selectBroker } from "./broker/select.ts";
import { ConfigError } from "./config/settings.ts";
import { resolveOptions, type ResolvedOptions, type SwitchboardOptions } from "./config/options.ts";
import { Hub } from "./core/hub.ts";
import { MemoryHistory } from "./core/history.ts";
import { RedisHistory } from "./cluster/redis-history.ts";
import { supportsCommands } from "./broker/commands.ts";
import type { CodecFactory, CoreOptions, Hooks, Logger } from "./core/types.ts";
import { createApi, type ApiApp, type ApiBackend } from "./api/app.ts";
import { errorBody } from "./api/errors.ts";
import { customCodecFactory } from "./encryption/custom.ts";
import { ecdhCodecFactory } from "./encryption/ecdh.ts";
import { createLogger } from "./logger.ts";
import { BunTransport, pathnameOf, type AdminEndpoint, type BunServer, type SocketData } from "./transport/bun.ts";
import { LibraryFacade } from "./facade.ts";
import { AdminChannel } from "./admin/channel.ts";
import { toStreamEvent } from "./admin/feed.ts";
import type { AuditLog } from "./api/audit.ts";
import { bearerToken, roleAllows } from "./auth/roles.ts";
import { createClusterRuntime, type ClusterRuntime } from "./cluster/runtime.ts";
import { RateMeter } from "./cluster/rates.ts";
import { createMetrics } from "./metrics.ts";
import { ADMIN_WS_PATH } from "../shared/admin.ts";
import type { Registry as PromRegistry } from "prom-client";
import { createDashboardHandler } from "./dashboard/serve.ts";
import { createPresence, type Presence } from "./presence/setup.ts";
import { PresenceEvents } from "../shared/presence.ts";

function createVerifier(o: ResolvedOptions): JwtVerifier | undefined {
  try {
    return JwtVerifier.create(o);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: JWT_PUBLIC_KEY=<PEM, ${o.jwtPublicKey?.length ?? 0} characters>: expected a PEM public key (${(err as Error).message})`);
  }
}

function coreOptions(o: ResolvedOptions): CoreOptions {
  return {
    instanceId: o.instanceId, defaultRooms: o.defaultRooms, allowedRooms: o.allowedRooms, authTimeout: o.authTimeout,
    heartbeatInterval: o.heartbeatInterval, heartbeatTimeout: o.heartbeatTimeout, rateLimitPerSecond: o.rateLimitPerSecond,
    maxConnectionsPerUser: o.maxConnectionsPerUser, backpressureLimit: o.backpressureLimit, slowConsumerGraceMs: o.slowConsumerGraceMs,
    encryption: o.encryption, encryptedBatchLimit: o.encryptedBatchLimit, historyRooms: o.historyRooms,
  };
}

/** Built-in JWT authentication and refresh unless the application supplies its own hooks. */
function resolveHooks(o: ResolvedOptions, verifier: JwtVerifier | undefined): Hooks {
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
function resolveCodecFactory(o: ResolvedOptions): CodecFactory | undefined {
  const { handshake, outboundTransformer } = o.hooks;
  if (handshake && outboundTransformer) return customCodecFactory(handshake, outboundTransformer);
  if (o.encryption === "off") return undefined;
  return ecdhCodecFactory();
}

/** How long shutdown waits for REST requests in flight before closing everything. */
export const HTTP_DRAIN_MS = 5000;

export class Switchboard extends LibraryFacade {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly broker: Broker;
  /** The REST API (mount under any prefix: the standalone server uses `/api`). */
  readonly api: ApiApp;
  /** Bun's `websocket` handler object for a host's `Bun.serve`. */
  readonly websocket;
  /** The built dashboard; mount it under another path with `createDashboardHandler(path)`. */
  readonly dashboard: (req: Request) => Response;
  /** Prometheus registry behind `GET /metrics`. */
  readonly metrics: PromRegistry;
  readonly adminChannel: AdminChannel;
  private readonly rates: RateMeter;
  private readonly roles: RoleResolver;
  private readonly audit: AuditLog;
  private readonly cluster: ClusterRuntime;
  private readonly transport: BunTransport;
  /** Presence rooms (SPEC §12); undefined without PRESENCE_ROOMS. */
  private readonly presence?: Presence;
  private readonly http: Hono;
  private ticker?: ReturnType<typeof setInterval>;
  private server?: BunServer;
  private ownsServer = false;
  private stopping?: Promise<void>;
  /** REST requests being answered: shutdown lets them finish before closing sockets and the broker. */
  private inFlight = 0;
  private onIdle?: () => void;

  constructor(input: SwitchboardOptions = {}) {
    const options = resolveOptions(input);
    const log = options.logger ?? createLogger(options.logLevel, options.identifier);
    const verifier = createVerifier(options);
    const broker = options.broker ?? selectBroker(options, log);
    const cluster = createClusterRuntime(broker, { instanceId: options.instanceId, presenceTtlMs: options.presenceTtlMs, log });
    const historyTtlMs = options.historyTtlSeconds * 1000;
    const history = supportsCommands(broker) ? new RedisHistory(broker, options.historySize, historyTtlMs) : new MemoryHistory(options.historySize, historyTtlMs);
    const hub = new Hub(coreOptions(options), { hooks: resolveHooks(options, verifier), broker: cluster.broker, log, codecFactory: resolveCodecFactory(options), history });
    const rates = new RateMeter(hub.stats);
    super(hub, cluster.attach(hub, rates));
    this.options = options;
    this.log = log;
    this.broker = broker;
    this.rates = rates;
    this.roles = new RoleResolver(options, verifier);
    this.cluster = cluster;
    this.audit = cluster.audit;
    // The local event feed is attached only while an admin watches, so that without one the hub
    // builds no event objects on the connection path.
    let detachFeed: (() => void) | undefined;
    const onActive = (active: boolean) => {
      detachFeed?.();
      detachFeed = active ? hub.events.on((e) => this.adminChannel.publish(toStreamEvent(e, options.instanceId))) : undefined;
    };
    this.adminChannel = new AdminChannel({
      view: this.view, roles: this.roles, log, aggregateAbove: options.adminAggregateAbove, bufferLimit: options.adminBufferLimit, authTimeoutMs: options.authTimeout, onActive,
    });
    cluster.forwardTo(this.adminChannel);
    this.presence = this.wirePresence(options, broker);
    this.transport = new BunTransport(hub, options, this.adminEndpoint());
    this.websocket = this.transport.handler();
    this.metrics = createMetrics({ hub, broker, adminConnections: () => this.adminChannel.size });
    this.api = createApi({ backend: this.apiBackend(), roles: this.roles, allowedOrigins: options.allowedOrigins, log });
    this.dashboard = createDashboardHandler("/admin");
    this.http = this.rootApp();
  }

  private rootApp(): Hono {
    const http = new Hono();
    http.route("/api", this.api);
    http.get("/metrics", async (c) => {
      const who = await this.roles.resolve(bearerToken(c.req.header("authorization")));
      if (!who) return c.json(errorBody("unauthorized", "missing or invalid bearer token"), 401);
      if (!roleAllows(who.role, "read")) return c.json(errorBody("forbidden", `the ${who.role} role may not read`), 403);
      return c.text(await this.metrics.metrics(), 200, { "content-type": this.metrics.contentType });
    });
    http.get("/admin", (c) => this.dashboard(c.req.raw));
    http.get("/admin/*", (c) => this.dashboard(c.req.raw));
    http.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));
    return http;
  }

  /** Presence hooks into the hub at two points only: its lifecycle events and one request event. */
  private wirePresence(options: ResolvedOptions, broker: Broker): Presence | undefined {
    const hub = this.hub;
    const presence = createPresence(options, broker, {
      instanceId: options.instanceId,
      client: (id) => {
        const record = hub.registry.get(id);
        return record && { userId: record.userId, info: record.info, rooms: record.rooms, open: record.state !== "disconnected" };
      },
      emit: (target, event, data) => hub.emit(target, event, data),
      on: (listener) => hub.events.on(listener),
      instances: () => this.view.instances(),
      log: this.log,
    });
    if (!presence) return undefined;
    hub.requests.set(PresenceEvents.REQUEST, presence.request);
    broker.onHealth((up) => {
      if (up) void presence.service.restore();
    });
    return presence;
  }

  private adminEndpoint(): AdminEndpoint {
    const channel = this.adminChannel;
    return {
      path: ADMIN_WS_PATH,
      open: (socket) => channel.open(socket),
      message: (conn, text) => void channel.message(conn, text).catch((err) => this.log.warn({ err: String(err) }, "admin message failed")),
      close: (conn) => channel.close(conn),
    };
  }

  private apiBackend(): ApiBackend {
    return {
      view: this.view,
      audit: this.audit,
      emit: async (target, event, data, by) => {
        const recipients = await this.view.countRecipients(target);
        await this.hub.emit(target, event, data, by);
        return recipients;
      },
      readiness: () => ({ kind: this.broker.kind, connected: this.broker.connected }),
      presence: async (room, page) => this.presence?.page(room, page),
      history: async (room, limit) => {
        const store = this.hub.history;
        if (!store || !this.hub.isHistoryRoom(room)) return undefined;
        return store.latest(room, limit);
      },
    };
  }

  /** Connects the broker and starts the sweeps; idempotent. `listen()` calls it. */
  async start(): Promise<void> {
    await this.hub.start();
    await this.cluster.start();
    this.presence?.service.start();
    this.ticker ??= setInterval(() => {
      this.rates.sample();
      void this.adminChannel.tick().catch((err) => this.log.warn({ err: String(err) }, "admin tick failed"));
    }, 1000);
  }

  /**
   * The HTTP entry for a host's `Bun.serve`: upgrades on the WebSocket path, everything else goes
   * to the REST API (under `/api`). Returns undefined when the socket was upgraded.
   */
  fetch = (req: Request, server: BunServer): Response | Promise<Response> | undefined => {
    const pathname = pathnameOf(req.url);
    if (this.transport.isUpgrade(req, pathname)) return this.transport.upgrade(req, server, pathname);
    const response = this.http.fetch(req, { server });
    if (!(response instanceof Promise)) return response;
    this.inFlight += 1;
    return response.finally(() => {
      if (--this.inFlight === 0) this.onIdle?.();
    });
  };

  /** Starts its own `Bun.serve` on `port`/`host` (options by default). */
  async listen(overrides: { port?: number; host?: string } = {}): Promise<BunServer> {
    if (this.server) return this.server;
    await this.start();
    this.server = Bun.serve<SocketData>({
      port: overrides.port ?? this.options.port,
      hostname: overrides.host ?? this.options.host,
      fetch: (req, server) => this.fetch(req, server),
      websocket: this.websocket,
    });
    this.ownsServer = true;
    this.log.info({ port: this.server.port, host: this.server.hostname, path: this.options.path, broker: this.broker.kind, instanceId: this.options.instanceId }, "listening");
    return this.server;
  }

  /** No new connections; requests already being answered complete while sockets and the broker still work. */
  private async drainHttp(server: BunServer): Promise<void> {
    void server.stop(false);
    if (this.inFlight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => (this.onIdle = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, HTTP_DRAIN_MS)))]);
    clearTimeout(timer);
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  /**
   * Stops listening, lets REST requests in flight finish (own server only, at most
   * {@link HTTP_DRAIN_MS}), closes every socket with 1001, runs disconnect hooks, closes the
   * broker, stops the server. Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.ticker);
      if (this.server && this.ownsServer) await this.drainHttp(this.server);
      this.adminChannel.shutdown();
      // Presence stops listening first: this instance's members stay in Redis for the survivors'
      // sweep, so clients that reconnect elsewhere within the grace produce no leave/join.
      this.presence?.service.stop();
      await this.cluster.stop();
      await this.hub.shutdown();
      if (this.server && this.ownsServer) await this.server.stop(true);
      this.log.info({}, "shut down");
    })();
    return this.stopping;
  }
}

export function createSwitchboard(options: SwitchboardOptions = {}): Switchboard {
  return new Switchboard(options);
}
