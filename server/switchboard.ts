/**
 * @module server/switchboard
 * The library factory: `createSwitchboard(options)` resolves and validates the options once,
 * builds the hub over a broker (memory unless given), the Bun transport and the REST API, and
 * returns the object an application embeds (`fetch` + `websocket`) or runs (`listen`).
 */
import { Hono } from "hono";
import type { Registry as PromRegistry } from "prom-client";
import { ADMIN_WS_PATH } from "../shared/admin.ts";
import { AdminChannel } from "./admin/channel.ts";
import { createApi, type ApiApp, type ApiBackend } from "./api/app.ts";
import { idempotencyStoreFor } from "./api/idempotency-store.ts";
import { notFound } from "./api/errors.ts";
import { AuditQueue } from "./audit/queue.ts";
import { RoleResolver } from "./auth/roles.ts";
import type { Broker } from "./broker/broker.ts";
import { selectBroker } from "./broker/select.ts";
import { RateMeter } from "./cluster/rates.ts";
import { createClusterRuntime, type ClusterRuntime } from "./cluster/runtime.ts";
import { toStreamEvent } from "./cluster/stream-events.ts";
import { resolveOptions, type ResolvedOptions, type SwitchboardOptions } from "./config/options.ts";
import { Hub } from "./core/hub.ts";
import type { Logger } from "./core/types.ts";
import { supportsCommands } from "./broker/commands.ts";
import { SseTransport } from "./transport/sse.ts";
import { MemoryTickets, RedisTickets } from "./transport/sse-tickets.ts";
import { createDashboardHandler } from "./dashboard/serve.ts";
import { LibraryFacade } from "./facade.ts";
import { HttpDrain } from "./http-drain.ts";
import { createLogger } from "./logger.ts";
import { createMetrics, metricsHandler } from "./metrics.ts";
import { BunTransport, pathnameOf, type AdminEndpoint, type BunServer, type SocketData } from "./transport/bun.ts";
import { coreOptions, createHistory, createVerifier, resolveCodecFactory, resolveHooks } from "./wiring.ts";
import { createWebhooks, type Webhooks } from "./webhooks/service.ts";
import { readTlsFiles, type TlsMaterial } from "./config/tls.ts";
import { createPresence, type Presence } from "./presence/setup.ts";
import { PresenceEvents } from "../shared/presence.ts";

/** How long shutdown waits for REST requests in flight before closing everything. */
export const HTTP_DRAIN_MS = 5000;
/** How long shutdown waits for ended SSE streams to be written out. */
export const SSE_DRAIN_MS = 1000;

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
  /** Webhooks (SPEC §13); undefined while WEBHOOK_URLS is unset. */
  readonly webhooks?: Webhooks;
  private readonly rates: RateMeter;
  private readonly roles: RoleResolver;
  /** Audit entries of REST emits, written off the emit's critical path. */
  private readonly audit: AuditQueue;
  /** The cluster view's runtime (presence, commands, event feed); not the hub's broker link. */
  private readonly clusterRuntime: ClusterRuntime;
  private readonly transport: BunTransport;
  /** The Server-Sent Events transport (SPEC §15); undefined with SSE=off. */
  private readonly sse?: SseTransport;
  /** Presence rooms (SPEC §12); undefined without PRESENCE_ROOMS. */
  private readonly presence?: Presence;
  private readonly http: Hono;
  /** REST requests being answered: shutdown lets them finish before closing sockets and the broker. */
  private readonly httpDrain = new HttpDrain();
  private ticker?: ReturnType<typeof setInterval>;
  private server?: BunServer;
  /** Servers replaced by a TLS reload: no longer listening, but their sockets stay open until they close. */
  private readonly retired = new Set<BunServer>();
  /** Where `listen()` bound (the real port when 0 was asked for), for a TLS reload to bind again. */
  private bound?: { port: number; host: string };
  private ownsServer = false;
  private stopping?: Promise<void>;

  constructor(input: SwitchboardOptions = {}) {
    const options = resolveOptions(input);
    const log = options.logger ?? createLogger(options.logLevel, options.identifier);
    const verifier = createVerifier(options);
    const broker = options.broker ?? selectBroker(options, log);
    const cluster = createClusterRuntime(broker, { instanceId: options.instanceId, presenceTtlMs: options.presenceTtlMs, log });
    const history = createHistory(options, broker);
    const hub = new Hub(coreOptions(options), { hooks: resolveHooks(options, verifier), broker: cluster.broker, log, codecFactory: resolveCodecFactory(options), history });
    const rates = new RateMeter(hub.stats);
    super(hub, cluster.attach(hub, rates));
    this.options = options;
    this.log = log;
    this.broker = broker;
    this.rates = rates;
    this.roles = new RoleResolver(options, verifier);
    this.clusterRuntime = cluster;
    this.audit = new AuditQueue(cluster.audit, log);
    // The local event feed is attached only while an admin watches, so that without one the hub
    // builds no event objects on the connection path.
    let detachFeed: (() => void) | undefined;
    const onActive = (active: boolean) => {
      detachFeed?.();
      detachFeed = active ? hub.on((e) => this.adminChannel.publish(toStreamEvent(e, options.instanceId))) : undefined;
    };
    this.adminChannel = new AdminChannel({
      view: this.view, roles: this.roles, log, aggregateAbove: options.adminAggregateAbove, bufferLimit: options.adminBufferLimit, authTimeoutMs: options.authTimeout, onActive,
    });
    cluster.forwardTo(this.adminChannel);
    this.presence = this.wirePresence(options, broker);
    this.transport = new BunTransport(hub, options, this.adminEndpoint());
    this.websocket = this.transport.handler();
    if (options.sse === "on") this.sse = this.createSse(hub, broker, options, log);
    // Webhooks (SPEC §13): built here, fed by `this.on`, started in start(), stopped in shutdown() before the cluster.
    const webhooks = (this.webhooks = createWebhooks(options, { facade: this, broker, log }));
    this.metrics = createMetrics({ hub, broker, adminConnections: () => this.adminChannel.size, sseConnections: () => this.sse?.size ?? 0, auditDropped: () => this.audit.dropped, webhooks });
    const idempotency = { store: idempotencyStoreFor(broker), ttlMs: options.idempotencyTtlSeconds * 1000 };
    this.api = createApi({ backend: this.apiBackend(), roles: this.roles, allowedOrigins: options.allowedOrigins, log, idempotency, webhooks: webhooks && (() => webhooks.status()) });
    this.dashboard = createDashboardHandler("/admin");
    this.http = this.rootApp();
  }

  private createSse(hub: Hub, broker: Broker, o: ResolvedOptions, log: Logger): SseTransport {
    const tickets = supportsCommands(broker) ? new RedisTickets(broker) : new MemoryTickets();
    return new SseTransport(hub, tickets, {
      allowedOrigins: o.allowedOrigins, maxConnections: o.maxConnections, backpressureLimit: o.backpressureLimit,
      ticketTtlMs: o.sseTicketTtlMs, keepAliveMs: o.sseKeepAliveMs, heartbeatTimeout: o.heartbeatTimeout,
    }, log);
  }

  private rootApp(): Hono {
    const http = new Hono();
    http.route("/api", this.api);
    // Liveness for container health checks (Docker HEALTHCHECK, Kubernetes probes): an alias of
    // GET /api/health at the conventional path, no auth.
    http.get("/healthz", (c) => c.json({ status: "ok" as const }));
    if (this.sse) http.route(this.options.ssePath, this.sse.app);
    http.get("/metrics", metricsHandler(this.metrics, this.roles));
    http.get("/admin", (c) => this.dashboard(c.req.raw));
    http.get("/admin/*", (c) => this.dashboard(c.req.raw));
    http.notFound(notFound);
    return http;
  }

  /** Presence hooks into the hub at two points only: its lifecycle events and one request event. */
  private wirePresence(options: ResolvedOptions, broker: Broker): Presence | undefined {
    const hub = this.hub;
    const presence = createPresence(options, broker, {
      instanceId: options.instanceId,
      client: (id) => {
        const record = hub.session(id)?.record;
        return record && { userId: record.userId, info: record.info, rooms: record.rooms, open: record.state !== "disconnected" };
      },
      emit: (target, event, data) => hub.emit(target, event, data),
      on: (listener) => hub.on(listener),
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
      // Publish first (issue 16): the sockets here and the broker get the message before the
      // cluster-wide count is asked; the REST answer waits for the count, the sockets do not.
      emit: async (target, event, data, by) => {
        let audience: Promise<number> | undefined;
        const countAudience = () => (audience = this.view.countRecipients(target));
        await this.hub.emit(target, event, data, { by, countAudience });
        return audience ?? this.view.countRecipients(target);
      },
      readiness: () => ({ kind: this.broker.kind, connected: this.broker.connected }),
      presence: async (room, page) => this.presence?.page(room, page),
      history: async (room, limit) => {
        const store = this.hub.history;
        if (!store || !this.hub.isHistoryRoom(room)) return undefined;
        return store.latest(room, limit);
      },
      isHistoryRoom: (room) => this.hub.history !== undefined && this.hub.isHistoryRoom(room),
    };
  }

  /** Connects the broker and starts the sweeps; idempotent. `listen()` calls it. */
  async start(): Promise<void> {
    await this.hub.start();
    await this.clusterRuntime.start();
    this.webhooks?.start();
    this.sse?.start();
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
    // During our own shutdown new requests are refused (503), never reset (server/http-drain.ts).
    const refusal = this.ownsServer ? this.httpDrain.refusal() : undefined;
    if (refusal) return refusal;
    // The host's server is known from its first request on (ours from `listen`): room and
    // broadcast fan-out publish through it, whether or not a socket was upgraded yet.
    this.hub.attachPublisher(server);
    const pathname = pathnameOf(req.url);
    if (this.transport.isUpgrade(req, pathname)) return this.transport.upgrade(req, server, pathname);
    const response = this.http.fetch(req, { server });
    return response instanceof Promise ? this.httpDrain.track(response) : response;
  };

  /**
   * Starts its own `Bun.serve` on `port`/`host` (options by default), over HTTPS/WSS when
   * TLS_CERT_FILE and TLS_KEY_FILE are set.
   */
  async listen(overrides: { port?: number; host?: string } = {}): Promise<BunServer> {
    if (this.server) return this.server;
    await this.start();
    // Fan-out goes to every server this instance owns, so sockets kept on a server retired by a
    // TLS reload still receive their rooms' messages (Bun's topics are per server).
    this.hub.attachPublisher({ publish: (topic, text) => this.publishToOwnServers(topic, text) });
    const tls = readTlsFiles({ certFile: this.options.tlsCertFile, keyFile: this.options.tlsKeyFile });
    this.server = this.serve(overrides.port ?? this.options.port, overrides.host ?? this.options.host, tls);
    this.bound = { port: this.server.port ?? 0, host: overrides.host ?? this.options.host };
    this.ownsServer = true;
    this.log.info({ port: this.server.port, host: this.server.hostname, path: this.options.path, broker: this.broker.kind, instanceId: this.options.instanceId, tls: tls ? tls.fingerprint : false }, "listening");
    return this.server;
  }

  private serve(port: number, hostname: string, tls: TlsMaterial | undefined): BunServer {
    return Bun.serve<SocketData>({
      port, hostname,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      fetch: (req, server) => this.fetch(req, server),
      websocket: this.websocket,
    });
  }

  private publishToOwnServers(topic: string, text: string): void {
    this.server?.publish(topic, text);
    for (const old of this.retired) old.publish(topic, text);
  }

  /**
   * Re-reads TLS_CERT_FILE and TLS_KEY_FILE (the CLI calls this on SIGHUP). Bun cannot swap the
   * certificate of a listening server (`server.reload()` ignores `tls`), so the listener is
   * replaced: the old server stops accepting and keeps its open connections (they still receive
   * every message) until they close; new connections get the new certificate. Between the two
   * there is a moment (well under a millisecond) in which a connection attempt is refused.
   * A bad file is logged and the certificate in use stays. Returns whether it reloaded.
   */
  reloadTls(): boolean {
    const old = this.server;
    if (!old || !this.ownsServer || this.stopping) return false;
    let tls: TlsMaterial | undefined;
    try {
      tls = readTlsFiles({ certFile: this.options.tlsCertFile, keyFile: this.options.tlsKeyFile });
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "TLS reload failed; still serving the previous certificate");
      return false;
    }
    if (!tls || !this.bound) return false;
    const { port, host } = this.bound;
    this.retired.add(old);
    void old.stop(false).then(() => this.retired.delete(old));
    try {
      this.server = this.serve(port, host, tls);
    } catch (err) {
      // Only if another process took the port in that moment: fail loudly (a supervisor restarts us).
      this.log.error({ err: String(err), port }, "TLS reload: cannot listen again");
      throw err;
    }
    this.log.info({ port, fingerprint: tls.fingerprint, keptConnections: old.pendingWebSockets }, "TLS certificate reloaded");
    return true;
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  /**
   * Own server: answers new requests and upgrades 503 from now on and lets REST requests in
   * flight finish (at most {@link HTTP_DRAIN_MS}). Then closes every socket with 1001, runs
   * disconnect hooks, closes the broker and stops the server (after `refuseUntilQuiet`). Idempotent.
   */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.ticker);
      if (this.server && this.ownsServer) await this.httpDrain.drain(HTTP_DRAIN_MS);
      this.adminChannel.shutdown();
      // Presence stops listening first: this instance's members stay in Redis for the survivors'
      // sweep, so clients that reconnect elsewhere within the grace produce no leave/join.
      this.presence?.service.stop();
      await this.webhooks?.stop(); // flush, hand pending batches over (Redis) while the broker is up
      await this.clusterRuntime.stop();
      await this.audit.flush();
      await this.hub.shutdown();
      // SSE streams were ended with `event: disconnect`; let those last bytes out before the hard stop.
      await this.sse?.drain(SSE_DRAIN_MS);
      if (this.server && this.ownsServer) {
        await this.httpDrain.refuseUntilQuiet();
        await Promise.all([this.server, ...this.retired].map((s) => s.stop(true)));
      }
      this.log.info({}, "shut down");
    })();
    return this.stopping;
  }
}

export function createSwitchboard(options: SwitchboardOptions = {}): Switchboard {
  return new Switchboard(options);
}
