/**
 * @module server/core/hub
 * Wires the core: sessions, the registry, fan-out, the cluster link and the policies that span
 * sessions (heartbeat sweep, slow consumers, per-user caps, shutdown). It is the host every
 * session calls back into. No Bun, Redis or Hono here: the transport hands in `Connection`s and
 * a `TopicPublisher`, the broker is an injected byte pipe.
 */
import { CloseCodes, type CloseCodeInfo } from "../../shared/close-codes.ts";
import { WebSocketClientStates as States, WebSocketEvents as Events } from "../../shared/constants.ts";
import type { InboundFrame, OutboundFrame } from "../../shared/protocol.ts";
import type { Broker } from "../broker/broker.ts";
import { authenticateSession, refreshSession } from "./auth-flow.ts";
import { MAX_TIMER_MS, systemClock, type Clock } from "./clock.ts";
import { ClusterLink } from "./cluster-link.ts";
import { Topics, type Connection, type TopicPublisher } from "./connection.ts";
import { HubEvents } from "./events.ts";
import { ExpiryQueue } from "./expiry.ts";
import { Fanout } from "./fanout.ts";
import { handleCustom, joinRooms, leaveRooms } from "./message-flow.ts";
import { OrderedEncoder } from "./ordered-encoder.ts";
import { Registry, RoomList, type ClientRecord } from "./registry.ts";
import { HistoryUnavailableError, type HistoryStore } from "./history.ts";
import { finishRecovery, type Recovery } from "./recovery.ts";
import { matchesAny } from "./room-policy.ts";
import { Session, type SessionHost } from "./session.ts";
import { HubStats } from "./stats.ts";
import { SLOW_CONSUMER_CHECK_MS, SlowConsumerPolicy } from "./slow-consumers.ts";
import type { Target } from "./target.ts";
import { silentLogger, type AuthResult, type CodecFactory, type CoreOptions, type HandshakeResult, type Hooks, type Logger } from "./types.ts";

export interface HubDeps {
  hooks?: Hooks;
  broker: Broker;
  /** Where history rooms keep their messages (required for HISTORY_ROOMS to take effect). */
  history?: HistoryStore;
  codecFactory?: CodecFactory;
  clock?: Clock;
  log?: Logger;
}


export class Hub implements SessionHost {
  readonly registry = new Registry();
  readonly sessions = new Map<string, Session>();
  readonly authenticated = new Set<string>();
  readonly events: HubEvents;
  readonly stats = new HubStats();
  readonly fanout: Fanout;
  readonly encoder: OrderedEncoder;
  private readonly slowConsumers: SlowConsumerPolicy;
  readonly cluster: ClusterLink;
  readonly hooks: Hooks;
  readonly codecFactory?: CodecFactory;
  readonly history?: HistoryStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** Token expiries of authenticated sessions (one timer for all, see expiry.ts). */
  readonly expiries: ExpiryQueue<Session>;
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
    this.clock = deps.clock ?? systemClock;
    this.expiries = new ExpiryQueue<Session>(this.clock, (session) => session.close(CloseCodes.TOKEN_EXPIRED));
    this.log = deps.log ?? silentLogger;
    this.events = new HubEvents((err) => this.log.error({ err: String(err) }, "event listener threw"));
    this.encoder = new OrderedEncoder(options.encryptedBatchLimit, this.log);
    this.slowConsumers = new SlowConsumerPolicy(this.sessions, this.stats, options.backpressureLimit, options.slowConsumerGraceMs, this.clock);
    this.fanout = new Fanout(this.registry, this.sessions, this.authenticated, (n) => this.stats.countOut(n));
    this.cluster = new ClusterLink(options.instanceId, deps.broker, this.log, (target, frame) => this.deliverLocal(target, frame), (ms, ok) => this.stats.observePublish(ms, ok));
  }

  get isShuttingDown(): boolean {
    return this.stopping !== undefined;
  }

  /** Connects the broker and starts the sweeps; idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.cluster.start();
      this.sweepers.push(this.clock.setInterval(() => this.sweepHeartbeats(), this.options.heartbeatInterval));
      if (this.options.backpressureLimit > 0) {
        this.sweepers.push(this.clock.setInterval(() => this.sweepSlowConsumers(), SLOW_CONSUMER_CHECK_MS));
      }
    })();
    return this.started;
  }

  attachPublisher(publisher: TopicPublisher): void {
    this.fanout.publisher ??= publisher;
  }

  // ---- transport callbacks -------------------------------------------------------------

  /** A socket opened. Returns its session, or undefined when the id is taken (the socket is closed). */
  open(conn: Connection, id: string): Session | undefined {
    if (this.sessions.has(id) || this.isShuttingDown) {
      conn.close(CloseCodes.SHUTDOWN.code, CloseCodes.SHUTDOWN.reason);
      return undefined;
    }
    const now = this.clock.now();
    const record: ClientRecord = {
      id, instanceId: this.options.instanceId, state: States.UNAUTHORIZED, rooms: new RoomList(), encrypted: false,
      connectedAt: now, lastActivity: now, remoteAddress: conn.remoteAddress, userAgent: conn.userAgent,
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
    record.state = States.DISCONNECTED;
    this.sessions.delete(session.id);
    this.slowConsumers.forget(session);
    this.authenticated.delete(session.id);
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

  drained(session: Session): void {
    session.slowSince = 0;
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

  // ---- admission and membership ----------------------------------------------------------

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
    record.state = States.AUTHENTICATED;
    record.metadata = result.metadata;
    session.grantedRooms = result.rooms;
    if (result.userId !== undefined) this.registry.indexUser(record.id, result.userId);
    if (handshake) {
      record.encrypted = true;
      record.encryptedAt = now;
      this.registry.markCodec(record.id);
    } else {
      session.conn.subscribe(Topics.BROADCAST);
    }
    this.authenticated.add(record.id);
    this.registry.join(record.id, record.id);
    for (const room of this.options.defaultRooms) this.joinRoom(session, room);
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

  joinRoom(session: Session, room: string): boolean {
    if (!this.registry.join(session.id, room)) return false;
    if (!session.codec && !this.registry.isCodec(session.id)) session.conn.subscribe(Topics.room(room));
    if (this.events.hasListeners) this.events.emit({ type: "room:joined", clientId: session.id, room, at: this.clock.now() });
    return true;
  }

  /** A held (replaying) member of `room` moves to the room's topic. */
  goLive(session: Session, room: string): void {
    this.registry.unmarkDirect(session.id, room);
    if (!this.registry.isCodec(session.id)) session.conn.subscribe(Topics.room(room));
    if (this.events.hasListeners) this.events.emit({ type: "room:joined", clientId: session.id, room, at: this.clock.now() });
  }

  private readonly historyMatches = new Map<string, boolean>();

  /** Whether `room` matches HISTORY_ROOMS (memoised; the cache is reset when it grows large). */
  isHistoryRoom(room: string): boolean {
    let hit = this.historyMatches.get(room);
    if (hit === undefined) {
      if (this.historyMatches.size > 10_000) this.historyMatches.clear();
      hit = matchesAny(room, this.options.historyRooms, undefined);
      this.historyMatches.set(room, hit);
    }
    return hit;
  }

  leaveRoom(session: Session, room: string): boolean {
    if (!this.registry.leave(session.id, room)) return false;
    session.conn.unsubscribe(Topics.room(room));
    if (this.events.hasListeners) this.events.emit({ type: "room:left", clientId: session.id, room, at: this.clock.now() });
    return true;
  }

  // ---- targeting ------------------------------------------------------------------------

  /** Delivers on this instance and to every other instance; resolves to the local recipients. */
  async emit(target: Target, event: string, data: unknown, by?: string): Promise<number> {
    if (this.history) {
      if ("room" in target && this.isHistoryRoom(target.room)) return this.emitToHistoryRoom(target.room, target.exclude, event, data, by);
      if ("rooms" in target && target.rooms.some((r) => this.isHistoryRoom(r))) return this.emitSplit(target.rooms, target.exclude, event, data, by);
    }
    const recipients = this.deliverLocal(target, data === undefined ? { event } : { event, data });
    await this.cluster.publish(target, event, data);
    if (this.events.hasListeners) this.events.emit({ type: "emit", target, event, recipients, by, at: this.clock.now() });
    return recipients;
  }

  /** A history room's message gets its seq from the store first, then goes out with it. */
  private async emitToHistoryRoom(room: string, exclude: string[] | undefined, event: string, data: unknown, by?: string): Promise<number> {
    let frame: OutboundFrame;
    try {
      frame = await this.history!.append(room, event, data);
    } catch (err) {
      throw new HistoryUnavailableError(room, err);
    }
    const target: Target = { room, exclude };
    const recipients = this.deliverLocal(target, frame);
    await this.cluster.publish(target, event, data, frame.seq);
    if (this.events.hasListeners) this.events.emit({ type: "emit", target, event, recipients, by, at: this.clock.now() });
    return recipients;
  }

  /** Several rooms with history rooms among them: each history room gets its own sequenced copy. */
  private async emitSplit(rooms: string[], exclude: string[] | undefined, event: string, data: unknown, by?: string): Promise<number> {
    const plain = rooms.filter((r) => !this.isHistoryRoom(r));
    let recipients = plain.length > 0 ? await this.emit({ rooms: plain, exclude }, event, data, by) : 0;
    for (const room of rooms) if (this.isHistoryRoom(room)) recipients += await this.emitToHistoryRoom(room, exclude, event, data, by);
    return recipients;
  }

  deliverLocal(target: Target, frame: OutboundFrame): number {
    if ("client" in target) return this.fanout.toClient(target.client, frame);
    if ("user" in target) return this.fanout.toUser(target.user, frame, target.exclude);
    if ("room" in target) return this.fanout.toRoom(target.room, frame, target.exclude);
    if ("rooms" in target) return this.fanout.toRooms(target.rooms, frame, target.exclude);
    return this.fanout.broadcast(frame, target.exclude);
  }

  /** Local sockets a target would reach, without sending. */
  countLocal(target: Target): number {
    const exclude = new Set(target.exclude ?? []);
    // O(excluded), not O(members), for a room or a broadcast: the REST emit counts before every
    // send. Room members are always authenticated (joins come after admission, and a closing
    // client leaves both sets at once), so a room's size is its recipient count.
    const sizeExcept = (ids: ReadonlySet<string>) => ids.size - [...exclude].filter((id) => ids.has(id)).length;
    const count = (ids: Iterable<string>) => {
      let n = 0;
      for (const id of ids) if (!exclude.has(id) && this.authenticated.has(id)) n += 1;
      return n;
    };
    if ("client" in target) return this.authenticated.has(target.client) ? 1 : 0;
    if ("user" in target) return count(this.registry.clientsOfUser(target.user) ?? []);
    if ("broadcast" in target) return sizeExcept(this.authenticated);
    const rooms = "room" in target ? [target.room] : target.rooms;
    const single = rooms.length === 1 ? this.registry.membersOf(rooms[0]!) : undefined;
    if (single) return sizeExcept(single);
    const union = new Set<string>();
    for (const room of rooms) for (const id of this.registry.membersOf(room) ?? (this.registry.has(room) ? [room] : [])) union.add(id);
    return count(union);
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
    for (const id of this.authenticated) {
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
      await this.cluster.close();
    })();
    return this.stopping;
  }
}
