/**
 * @module server/core/hub
 * Wires the core: sessions, the registry, membership, fan-out, the cluster link and the
 * policies that span sessions (heartbeat sweep, slow consumers, per-user caps, shutdown). It is
 * the host every session calls back into and the {@link FlowContext} of the protocol flows. No
 * Bun, Redis or Hono here: the transport hands in `Connection`s and a `TopicPublisher`, the
 * broker is an injected byte pipe.
 *
 * Its maps are private. Outside the core, code reads this instance through `directory`
 * (clients, rooms, counts), `session(id)`, `counts()` and `on()` (lifecycle events), and acts
 * through `emit`, `joinOnBehalf`, `leaveOnBehalf` and `disconnect`.
 */
import { CloseCodes, type CloseCodeInfo } from "../../shared/close-codes.ts";
import { WebSocketClientStates as States, WebSocketEvents as Events } from "../../shared/constants.ts";
import type { InboundFrame, OutboundFrame } from "../../shared/protocol.ts";
import type { Broker } from "../broker/broker.ts";
import { authenticateSession, refreshSession } from "./auth-flow.ts";
import { MAX_TIMER_MS, systemClock, type Clock } from "./clock.ts";
import { ClusterLink } from "./cluster-link.ts";
import type { Connection, TopicPublisher } from "./connection.ts";
import { HubEvents, type HubEventListener } from "./events.ts";
import { ExpiryQueue } from "./expiry.ts";
import { Fanout } from "./fanout.ts";
import { handleCustom, joinRooms, leaveRooms } from "./message-flow.ts";
import { OrderedEncoder } from "./ordered-encoder.ts";
import type { FlowContext, Recovery } from "./flow-context.ts";
import { Membership } from "./membership.ts";
import { LocalDirectory, type LocalCounts } from "./queries.ts";
import { Registry, RoomList, type ClientRecord } from "./registry.ts";
import { HistoryUnavailableError, type HistoryStore } from "./history.ts";
import { finishRecovery } from "./recovery.ts";
import { RoomMatcher } from "./room-policy.ts";
import { Session, type SessionHost } from "./session.ts";
import { HubStats } from "./stats.ts";
import { SLOW_CONSUMER_CHECK_MS, SlowConsumerPolicy } from "./slow-consumers.ts";
import type { Target } from "./target.ts";
import { silentLogger, type RequestHandler, type AuthResult, type CodecFactory, type CoreOptions, type HandshakeResult, type Hooks, type Logger } from "./types.ts";

export interface HubDeps {
  hooks?: Hooks;
  broker: Broker;
  /** Where history rooms keep their messages (required for HISTORY_ROOMS to take effect). */
  history?: HistoryStore;
  codecFactory?: CodecFactory;
  clock?: Clock;
  log?: Logger;
}


/** What `emit` may be told besides the message. */
export interface EmitOptions {
  /** Who sent it (the REST API's caller), reported in the `emit` event. */
  by?: string;
  /**
   * Counts the audience cluster-wide. Called once the frame has left for the local sockets and
   * the broker (so they never wait for it); the `emit` event then reports its answer instead of
   * the local count.
   */
  countAudience?: () => Promise<number>;
}

export class Hub implements SessionHost, FlowContext {
  private readonly registry = new Registry();
  private readonly sessions = new Map<string, Session>();
  /** Read-only queries over this instance's clients and rooms. */
  readonly directory: LocalDirectory;
  readonly membership: Membership;
  readonly events: HubEvents;
  /** Built-in request events served by server modules (e.g. `presence`), before `onMessage`. */
  readonly requests = new Map<string, RequestHandler>();
  readonly stats = new HubStats();
  private readonly fanout: Fanout;
  readonly encoder: OrderedEncoder;
  readonly slowConsumers: SlowConsumerPolicy;
  /** The cluster protocol over the broker (not the cluster view: that is built outside the core). */
  private readonly link: ClusterLink;
  readonly hooks: Hooks;
  readonly codecFactory?: CodecFactory;
  readonly history?: HistoryStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Token expiries of authenticated sessions (one timer for all, see expiry.ts). */
  readonly expiries: ExpiryQueue<Session>;
  private readonly historyRooms: RoomMatcher;
  private sweepers: unknown[] = [];
  private started?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(
    readonly options: CoreOptions,
    deps: HubDeps,
  ) {
    this.hooks = deps.hooks ?? {};
    this.codecFactory = deps.codecFactory;
    this.history = options.historyRooms.length > 0 ? deps.history : undefined;
    this.historyRooms = new RoomMatcher(options.historyRooms);
    this.clock = deps.clock ?? systemClock;
    this.expiries = new ExpiryQueue<Session>(this.clock, (session) => session.close(CloseCodes.TOKEN_EXPIRED));
    this.log = deps.log ?? silentLogger;
    this.events = new HubEvents((err) => this.log.error({ err: String(err) }, "event listener threw"));
    this.encoder = new OrderedEncoder(options.encryptedBatchLimit, this.log);
    this.directory = new LocalDirectory(this.registry);
    this.membership = new Membership(this.registry, this.events, this.clock);
    this.slowConsumers = new SlowConsumerPolicy(this.sessions, this.stats, options.backpressureLimit, options.slowConsumerGraceMs, this.clock);
    this.fanout = new Fanout(this.registry, this.sessions, (n) => this.stats.countOut(n));
    this.link = new ClusterLink(options.instanceId, deps.broker, this.log, (target, frame) => this.deliverLocal(target, frame), (ms, ok) => this.stats.observePublish(ms, ok));
  }

  get isShuttingDown(): boolean {
    return this.stopping !== undefined;
  }

  /** Connects the broker and starts the sweeps; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.link.start();
      this.sweepers.push(this.clock.setInterval(() => this.sweepHeartbeats(), this.options.heartbeatInterval));
      if (this.options.backpressureLimit > 0) {
        this.sweepers.push(this.clock.setInterval(() => this.sweepSlowConsumers(), SLOW_CONSUMER_CHECK_MS));
      }
    })();
    return this.started;
  }

  /** The runtime's topic publisher (the Bun server); the first one given stays. */
  attachPublisher(publisher: TopicPublisher): void {
    this.fanout.publisher ??= publisher;
  }

  // ---- queries --------------------------------------------------------------------------

  /** Lifecycle events of this instance; returns the unsubscribe function. */
  on(listener: HubEventListener): () => void {
    return this.events.on(listener);
  }

  counts(): LocalCounts {
    return this.directory.counts();
  }

  /** The open session with this id (authenticated or not). */
  session(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Open sessions per state (metrics). */
  countByState(): Map<string, number> {
    const byState = new Map<string, number>();
    for (const session of this.sessions.values()) byState.set(session.state, (byState.get(session.state) ?? 0) + 1);
    return byState;
  }

  // ---- transport callbacks -------------------------------------------------------------

  /** A socket opened. Returns its session, or undefined when the id is taken (the socket is closed). */
  open(conn: Connection, id: string): Session | undefined {
    const refusal = this.isShuttingDown ? CloseCodes.SHUTDOWN : this.sessions.has(id) ? CloseCodes.INTERNAL_ERROR : undefined;
    if (refusal) {
      conn.close(refusal.code, refusal.reason);
      return undefined;
    }
    const now = this.clock.now();
    const record: ClientRecord = {
      id, instanceId: this.options.instanceId, state: States.UNAUTHORIZED, rooms: new RoomList(), encrypted: false,
      connectedAt: now, lastActivity: now, remoteAddress: conn.remoteAddress, userAgent: conn.userAgent,
      transport: conn.transport ?? "ws",
    };
    const session = new Session(this, conn, record);
    this.sessions.set(id, session);
    this.registry.add(record);
    session.start();
    if (this.events.hasListeners) this.events.emit({ type: "client:connected", clientId: id, remoteAddress: record.remoteAddress, at: now });
    return session;
  }

  /** The socket closed (any cause). Cleans up once; later calls for the same session are no-ops. */
  closed(session: Session, transportCode: number, transportReason: string): void {
    session.markClosed();
    if (this.sessions.get(session.id) !== session) return;
    const { code, reason } = session.closingWith ?? { code: transportCode, reason: transportReason };
    const record = session.record;
    this.registry.setState(session.id, States.DISCONNECTED);
    this.sessions.delete(session.id);
    this.slowConsumers.forget(session);
    this.registry.remove(session.id);
    if (session.expiresAt !== undefined) this.expiries.forget();
    this.stats.countClose(code);
    if (this.events.hasListeners) this.events.emit({ type: "client:disconnected", clientId: record.id, userId: record.userId, code, reason, at: this.clock.now() });
    const hook = this.hooks.onClientDisconnected;
    if (hook) {
      const args = { clientId: record.id, userId: record.userId, metadata: record.metadata, code, reason };
      Promise.resolve().then(() => hook(args)).catch((err) => this.log.warn({ err: String(err) }, "onClientDisconnected hook failed"));
    }
  }

  /** The transport says the session's send buffer drained. */
  drained(session: Session): void {
    this.slowConsumers.forget(session);
  }

  // ---- SessionHost ---------------------------------------------------------------------

  authenticate(session: Session, data: Record<string, unknown>, frameId?: string): void {
    void authenticateSession(this, session, data, frameId);
  }

  join(session: Session, rooms: string[], frameId?: string): void {
    void joinRooms(this, session, rooms, frameId);
  }

  leave(session: Session, rooms: string[], frameId?: string): void {
    leaveRooms(this, session, rooms, frameId);
  }

  refresh(session: Session, data: unknown, frameId?: string): void {
    void refreshSession(this, session, data, frameId);
  }

  custom(session: Session, frame: InboundFrame & Record<string, unknown>): void {
    handleCustom(this, session, frame);
  }

  countInbound(bytes: number): void {
    this.stats.countIn(bytes);
  }

  countOutbound(frames: number): void {
    this.stats.countOut(frames);
  }

  countAuthFailure(reason: string): void {
    this.stats.countAuthFailure(reason);
  }

  // ---- admission ------------------------------------------------------------------------

  beginAuthentication(session: Session): void {
    this.registry.setState(session.id, States.AUTHENTICATING);
  }

  /** False when the user already has `maxConnectionsPerUser` sessions on this instance. */
  hasRoomForUser(userId: string | undefined): boolean {
    const max = this.options.maxConnectionsPerUser;
    if (max <= 0 || userId === undefined) return true;
    return (this.registry.clientsOfUser(userId)?.size ?? 0) < max;
  }

  /**
   * Makes an authenticated session visible: indexes, subscriptions, own-id and default rooms,
   * then the plaintext `connected`, then the codec (so every later frame is encoded), then
   * the hook. Synchronous, so nothing can be delivered in between.
   */
  admit(session: Session, result: AuthResult, handshake: HandshakeResult | undefined, recovery?: Recovery): void {
    const record = session.record;
    const now = this.clock.now();
    this.registry.setState(record.id, States.AUTHENTICATED);
    record.metadata = result.metadata;
    if (result.info !== undefined) record.info = result.info;
    session.grantedRooms = result.rooms;
    if (result.userId !== undefined) this.registry.indexUser(record.id, result.userId);
    if (handshake) this.registry.markEncrypted(record.id, now);
    if (handshake || session.conn.direct) this.membership.serveDirectly(session);
    this.membership.admit(session);
    for (const room of this.options.defaultRooms) this.membership.join(session, room);
    this.armExpiry(session, result.expiresAt);
    const connected: Record<string, unknown> = { id: record.id, userId: record.userId, time: new Date(now).toISOString() };
    if (handshake?.serverPublicKey) Object.assign(connected, { serverPublicKey: handshake.serverPublicKey, salt: handshake.salt });
    if (recovery) connected.recovered = recovery.recovered;
    session.sendText(JSON.stringify({ event: Events.CONNECTED, data: connected }));
    if (handshake) session.codec = handshake.codec;
    if (recovery) finishRecovery(this, session, recovery);
    if (this.events.hasListeners) this.events.emit({ type: "client:authenticated", clientId: record.id, userId: record.userId, encrypted: record.encrypted, at: now });
    const hook = this.hooks.onClientConnected;
    if (hook) {
      const args = { clientId: record.id, userId: record.userId, metadata: record.metadata };
      Promise.resolve().then(() => hook(args)).catch((err) => this.log.warn({ err: String(err) }, "onClientConnected hook failed"));
    }
  }

  /**
   * (Re-)arms the token expiry: the session closes 4009 at `expiresAt` unless refreshed. Also
   * ends the session's authentication timers. Expiries beyond the longest timer are not armed.
   */
  armExpiry(session: Session, expiresAt: number | undefined): void {
    if (session.expiresAt !== undefined) this.expiries.forget();
    session.expiresAt = expiresAt;
    session.disarm();
    if (expiresAt === undefined || expiresAt - this.clock.now() > MAX_TIMER_MS) return;
    this.expiries.add(session, expiresAt);
  }

  /** Whether `room` matches HISTORY_ROOMS. */
  isHistoryRoom(room: string): boolean {
    return this.historyRooms.matches(room);
  }

  /** Operator action: joins on a local client's behalf (bypasses ALLOWED_ROOMS, not the reserved names); undefined when it is not here or not authenticated. */
  joinOnBehalf(clientId: string, rooms: string[]): string[] | undefined {
    const session = this.sessions.get(clientId);
    if (!session || !this.registry.isAuthenticated(clientId)) return undefined;
    const { valid } = this.membership.joinable(rooms, clientId);
    for (const room of valid) this.membership.join(session, room);
    return valid;
  }

  /** Operator action: leaves on a local client's behalf; undefined when it is not here. */
  leaveOnBehalf(clientId: string, room: string): boolean | undefined {
    const session = this.sessions.get(clientId);
    return session ? this.membership.leave(session, room) : undefined;
  }

  // ---- targeting ------------------------------------------------------------------------

  /**
   * Delivers on this instance and to every other instance; resolves to the local recipients once
   * the broker took the message. Local sockets are served before the broker publish is awaited.
   * One `emit` event per call, with the target as given.
   */
  async emit(target: Target, event: string, data: unknown, o: EmitOptions = {}): Promise<number> {
    let local: number;
    if (this.history && "room" in target && this.isHistoryRoom(target.room)) local = await this.sendToHistoryRoom(target.room, target.exclude, event, data);
    else if (this.history && "rooms" in target && target.rooms.some((r) => this.isHistoryRoom(r))) local = await this.sendSplit(target.rooms, target.exclude, event, data);
    else {
      local = this.deliverLocal(target, data === undefined ? { event } : { event, data });
      const published = this.link.publish(target, event, data);
      this.report(target, event, local, o);
      await published;
      return local;
    }
    this.report(target, event, local, o);
    return local;
  }

  /** The `emit` event: with the local count, or with the cluster-wide one once it is known. */
  private report(target: Target, event: string, local: number, o: EmitOptions): void {
    const audience = o.countAudience?.();
    const tell = (recipients: number) => {
      if (this.events.hasListeners) this.events.emit({ type: "emit", target, event, recipients, by: o.by, at: this.clock.now() });
    };
    if (!audience) return tell(local);
    audience.then(tell, () => tell(local));
  }

  /** A history room's message gets its seq from the store first, then goes out with it. */
  private async sendToHistoryRoom(room: string, exclude: string[] | undefined, event: string, data: unknown): Promise<number> {
    let frame: OutboundFrame;
    try {
      frame = await this.history!.append(room, event, data);
    } catch (err) {
      throw new HistoryUnavailableError(room, err);
    }
    const target: Target = { room, exclude };
    const local = this.deliverLocal(target, frame);
    await this.link.publish(target, event, data, frame.seq);
    return local;
  }

  /** Several rooms with history rooms among them: each history room gets its own sequenced copy. */
  private async sendSplit(rooms: string[], exclude: string[] | undefined, event: string, data: unknown): Promise<number> {
    const plain = rooms.filter((r) => !this.isHistoryRoom(r));
    let local = 0;
    if (plain.length > 0) {
      const target: Target = { rooms: plain, exclude };
      local = this.deliverLocal(target, data === undefined ? { event } : { event, data });
      await this.link.publish(target, event, data);
    }
    for (const room of rooms) if (this.isHistoryRoom(room)) local += await this.sendToHistoryRoom(room, exclude, event, data);
    return local;
  }

  deliverLocal(target: Target, frame: OutboundFrame): number {
    return this.fanout.deliver(target, frame);
  }

  /** Local sockets a target would reach, without sending. */
  countLocal(target: Target): number {
    return this.fanout.count(target);
  }

  /** Operator action: closes a local client with 4007. */
  disconnect(clientId: string, info: CloseCodeInfo = CloseCodes.KICKED): boolean {
    const session = this.sessions.get(clientId);
    if (!session) return false;
    session.close(info);
    return true;
  }

  // ---- sweeps and shutdown --------------------------------------------------------------

  sweepHeartbeats(): void {
    const now = this.clock.now();
    for (const id of this.registry.authenticated()) {
      const session = this.sessions.get(id);
      if (session && now - session.record.lastActivity > this.options.heartbeatTimeout) session.close(CloseCodes.HEARTBEAT_TIMEOUT);
    }
  }

  /** Runs the slow-consumer policy once (the hub runs it every SLOW_CONSUMER_CHECK_MS). */
  sweepSlowConsumers(): void {
    this.slowConsumers.tick();
  }

  /** Stops sweeps, closes every socket with 1001 (running the disconnect hooks), closes the broker. Idempotent. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      for (const sweeper of this.sweepers) this.clock.clearInterval(sweeper);
      this.sweepers = [];
      this.expiries.clear();
      for (const session of [...this.sessions.values()]) {
        session.close(CloseCodes.SHUTDOWN);
        this.closed(session, CloseCodes.SHUTDOWN.code, CloseCodes.SHUTDOWN.reason);
      }
      await this.link.close();
    })();
    return this.stopping;
  }
}
