/**
 * @module shared/client/client
 * The SDK's client: one logical session over successive sockets. It owns the state machine,
 * the reconnect policy (backoff + the shared close-code table), the rooms the app wants, acks,
 * heartbeats and token refresh; `Connection` owns one socket and its encryption.
 *
 * Contracts:
 * - After `close()`, or a close code the table marks as final (4003 with a token that cannot
 *   change, 4004, 4008; 4009 with a fixed token), nothing reconnects until `connect()` is called.
 * - Rooms joined through `join` are joined again after every reconnect; `leave` forgets them.
 * - `request`/`join`/`leave` called while disconnected wait for the next connection (within
 *   their timeout). A request in flight when the socket drops rejects `disconnected`, except
 *   `join`/`leave`, which are idempotent and are sent again.
 */
import { RoomHandle } from "./presence.ts";
import { CloseCodes, describeCloseCode } from "../close-codes.ts";
import { SwitchboardEvents, WebSocketEvents as Events } from "../constants.ts";
import type { AckData, ConnectedData, HeartbeatReply, JoinResult, LeaveResult } from "../protocol.ts";
import { backoffDelay } from "./backoff.ts";
import type { ClientConnection, ConnectionHandlers } from "./connection.ts";
import { Heartbeat } from "./heartbeat.ts";
import { Listeners } from "./listeners.ts";
import { ConnectWaiters, PendingRequests } from "./requests.ts";
import { assertCanSend } from "./sse.ts";
import { decodeJwtExp, TokenSource } from "./token.ts";
import { resolveClientOptions, type ResolvedClientOptions } from "./options.ts";
import {
  LocalErrorCodes, SwitchboardError, type AnyHandler, type ClientOptions, type ClientState, type CloseEvent,
  type EventMap, type Handler, type ServerFrame,
} from "./types.ts";

/** Standard close code 1006 (abnormal closure): the attempt failed before a socket existed. */
const ABNORMAL = 1006;
const NORMAL = 1000;
const LIFECYCLE = new Set(["state", "close", "rejoin"]);

export class SwitchboardClient<S extends object = Record<string, unknown>> {
  /** Round-trip time of the last answered heartbeat, in ms. */
  rtt?: number;
  private readonly o: ResolvedClientOptions;
  private readonly tokens: TokenSource;
  private readonly listeners = new Listeners((err, event) => console.error(`switchboard client: a "${event}" handler threw`, err));
  private readonly requests: PendingRequests;
  private readonly heartbeat: Heartbeat;
  private readonly wanted = new Set<string>();
  private conn?: ClientConnection;
  private current: ClientState = "idle";
  private session?: ConnectedData;
  private stopped = false;
  private generation = 0;
  private attempt = 0;
  private urlIndex = 0;
  private everConnected = false;
  private forceFreshToken = false;
  private tokenWasFresh = false;
  private tokenInUse?: string;
  private skewMs = 0;
  private readonly waiters: ConnectWaiters<ConnectedData>;
  private timers: { reconnect?: unknown; connect?: unknown; refresh?: unknown } = {};

  constructor(options: ClientOptions) {
    this.o = resolveClientOptions(options);
    this.tokens = new TokenSource(options.token);
    this.requests = new PendingRequests(this.o.clock);
    this.waiters = new ConnectWaiters(this.o.clock);
    this.heartbeat = new Heartbeat(this.o.clock, this.o.heartbeatMs, this.o.heartbeatTimeoutMs, {
      send: (id) => this.conn?.send({ event: Events.HEARTBEAT, id }) ?? false,
      rtt: (ms) => (this.rtt = ms),
      dead: () => this.conn?.abort(CloseCodes.HEARTBEAT_TIMEOUT.code, "No heartbeat reply from the server"),
    });
    if (this.o.autoConnect) void this.connect().catch(() => undefined);
  }

  get state(): ClientState {
    return this.current;
  }

  /** This connection's client id (from the last `connected`). */
  get id(): string | undefined {
    return this.session?.id;
  }

  get userId(): string | undefined {
    return this.session?.userId;
  }

  /** Whether the current session is end-to-end encrypted. */
  get encrypted(): boolean {
    return this.conn?.encrypted ?? false;
  }

  /** The URL of the current (or next) attempt. */
  get url(): string {
    return this.o.urls[this.urlIndex % this.o.urls.length]!;
  }

  /** The rooms the app joined; they are joined again after every reconnect. */
  get rooms(): string[] {
    return [...this.wanted];
  }

  /** Starts connecting when idle or closed; resolves at the next `connected`, rejects if the client closes first. */
  connect(): Promise<ConnectedData> {
    if (this.current === "connected" && this.session) return Promise.resolve(this.session);
    const next = this.waiters.wait();
    if (this.current === "idle" || this.current === "closed") {
      this.stopped = false;
      this.attempt = 0;
      void this.open();
    }
    return next;
  }

  /** Closes for good (code 1000): no reconnect; pending requests reject `closed`. */
  close(reason: string = CloseCodes.CLIENT_CLOSED.reason): void {
    if (this.current === "closed") return;
    this.stopped = true;
    this.generation += 1;
    const conn = this.conn;
    this.conn = undefined;
    conn?.abort(NORMAL, reason);
    this.teardown();
    this.finish({ code: NORMAL, reason, willReconnect: false });
  }

  on<K extends keyof EventMap<S> & string>(event: K, handler: Handler<EventMap<S>[K]>): () => void;
  on(event: string, handler: Handler<any>): () => void;
  on(event: string, handler: Handler<any>): () => void {
    return this.listeners.add(event, handler);
  }

  once<K extends keyof EventMap<S> & string>(event: K, handler: Handler<EventMap<S>[K]>): () => void;
  once(event: string, handler: Handler<any>): () => void;
  once(event: string, handler: Handler<any>): () => void {
    const off = this.listeners.add(event, (data, frame) => {
      off();
      handler(data, frame);
    });
    return off;
  }

  /** Removes one handler, or every handler of `event`. */
  off<K extends keyof EventMap<S> & string>(event: K, handler?: Handler<EventMap<S>[K]>): void;
  off(event: string, handler?: Handler<any>): void;
  off(event: string, handler?: Handler<any>): void {
    this.listeners.remove(event, handler as Handler<unknown> | undefined);
  }

  /** Every server frame (after decryption), including events whose names the SDK reserves. */
  onAny(handler: AnyHandler): () => void {
    return this.listeners.addAny(handler);
  }

  offAny(handler: AnyHandler): void {
    this.listeners.removeAny(handler);
  }

  /** Joins rooms (kept across reconnects); resolves with the server's `{joined, denied}`. */
  async join(rooms: string | string[]): Promise<JoinResult> {
    assertCanSend(this.o.transport, Events.JOIN);
    const list = toList(rooms);
    for (const room of list) this.wanted.add(room);
    const result = await this.resend<JoinResult>(Events.JOIN, { rooms: list });
    for (const room of result.denied) this.wanted.delete(room);
    for (const plugin of this.o.plugins) plugin.joined?.(result);
    return result;
  }

  async leave(rooms: string | string[]): Promise<LeaveResult> {
    assertCanSend(this.o.transport, Events.LEAVE);
    const list = toList(rooms);
    for (const room of list) this.wanted.delete(room);
    for (const plugin of this.o.plugins) plugin.left?.(list);
    return this.resend<LeaveResult>(Events.LEAVE, { rooms: list });
  }

  /** A handle on one room: `join()`, `leave()` and, in presence rooms, `presence()` (a roster kept in sync). */
  room(name: string): RoomHandle {
    return new RoomHandle(name, this);
  }

  /** A custom event with an ack: resolves with what the server's `onMessage` returned. */
  async request<R = unknown>(event: string, data?: unknown, options: { timeoutMs?: number } = {}): Promise<R> {
    assertCanSend(this.o.transport, event);
    const timeoutMs = options.timeoutMs ?? this.o.requestTimeoutMs;
    const started = this.o.clock.now();
    await this.whenConnected(timeoutMs);
    return this.sendRequest<R>(event, data, Math.max(1, timeoutMs - (this.o.clock.now() - started)));
  }

  /** Fire-and-forget; false (nothing sent) when not connected. */
  send(event: string, data?: unknown): boolean {
    if (this.current !== "connected" || !this.conn) return false;
    return this.conn.send(data === undefined ? { event } : { event, data });
  }

  /**
   * Replaces the session's token now with a fresh one from the token function (the SDK does
   * this on its own before `exp`). Rejects when the server refuses it; the session then ends at
   * the old `exp` (4009) and the SDK reconnects with a new token.
   */
  async refresh(): Promise<void> {
    if (!this.tokens.renewable) throw new SwitchboardError("not_renewable", "refresh needs a token function");
    const token = await this.tokens.fetch();
    const before = this.tokenInUse === undefined ? undefined : decodeJwtExp(this.tokenInUse);
    await this.request(SwitchboardEvents.REFRESH, { token });
    this.tokens.accept(token);
    this.tokenInUse = token;
    const after = decodeJwtExp(token);
    // A token that does not expire later would schedule an immediate refresh loop.
    if (after !== undefined && (before === undefined || after > before)) this.scheduleRefresh(token);
  }

  // ---- connecting ------------------------------------------------------------------------

  private async open(): Promise<void> {
    const generation = ++this.generation;
    const url = this.url;
    this.setState("connecting");
    this.timers.connect = this.o.clock.setTimeout(() => this.connectTimedOut(generation), this.o.connectTimeoutMs);
    let auth: Record<string, unknown>;
    try {
      auth = await this.authData(url);
    } catch (err) {
      if (generation === this.generation) this.lost(ABNORMAL, `Token unavailable: ${(err as Error).message}`);
      return;
    }
    if (generation !== this.generation) return;
    let conn: ClientConnection | undefined;
    const handlers = this.handlersFor(() => conn);
    try {
      conn = this.o.openConnection(url, auth, handlers);
    } catch (err) {
      return this.lost(ABNORMAL, `Cannot open ${url}: ${(err as Error).message}`);
    }
    this.conn = conn;
  }

  private async authData(url: string): Promise<Record<string, unknown>> {
    const { token, fresh } = await this.tokens.get(this.serverNow(), this.forceFreshToken);
    this.forceFreshToken = false;
    this.tokenWasFresh = fresh;
    this.tokenInUse = token;
    const extra: Record<string, unknown> = {};
    for (const plugin of this.o.plugins) Object.assign(extra, await plugin.authenticate?.({ reconnect: this.everConnected, url }));
    return { ...extra, type: "Bearer", token };
  }

  /** Handlers that ignore a connection once it is no longer the current one. */
  private handlersFor(conn: () => ClientConnection | undefined): ConnectionHandlers {
    const live = () => this.conn !== undefined && this.conn === conn();
    return {
      names: this.listeners,
      opened: () => live() && this.setState("authenticating"),
      connected: (data) => live() && this.onConnected(data),
      frame: (frame) => live() && this.onFrame(frame),
      closed: (code, reason) => {
        if (!live()) return;
        this.conn = undefined;
        this.lost(code, reason);
      },
    };
  }

  private connectTimedOut(generation: number): void {
    if (generation !== this.generation || this.current === "connected") return;
    const reason = "Connect timeout";
    if (this.conn) return this.conn.abort(CloseCodes.AUTH_TIMEOUT.code, reason);
    this.generation += 1; // drops the token fetch still in progress
    this.lost(CloseCodes.AUTH_TIMEOUT.code, reason);
  }

  private onConnected(data: ConnectedData): void {
    this.o.clock.clearTimeout(this.timers.connect);
    const time = Date.parse(data?.time ?? "");
    this.skewMs = Number.isFinite(time) ? time - this.o.clock.now() : 0;
    this.session = data;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.attempt = 0;
    this.setState("connected");
    this.heartbeat.start();
    if (this.tokenInUse !== undefined) this.scheduleRefresh(this.tokenInUse);
    for (const plugin of this.o.plugins) plugin.connected?.(data);
    const frame = { event: Events.CONNECTED, data };
    this.listeners.emitAny(frame);
    this.listeners.emit(Events.CONNECTED, data, frame);
    if (reconnected && this.wanted.size > 0) this.rejoin();
    this.waiters.resolveAll(data);
  }

  private rejoin(): void {
    this.sendRequest<JoinResult>(Events.JOIN, { rooms: [...this.wanted] }, this.o.requestTimeoutMs).then(
      (result) => {
        for (const room of result.denied) this.wanted.delete(room);
        for (const plugin of this.o.plugins) plugin.joined?.(result);
        this.listeners.emit("rejoin", result, { event: "rejoin", data: result });
      },
      () => undefined, // the next connection re-joins again
    );
  }

  private onFrame(frame: ServerFrame): void {
    this.heartbeat.activity();
    if (frame.event === SwitchboardEvents.ACK) return this.requests.settle(frame.data as AckData);
    const reply = frame.data as HeartbeatReply | undefined;
    if (frame.event === Events.HEARTBEAT && typeof reply?.id === "string") return this.heartbeat.reply(reply.id);
    for (const plugin of this.o.plugins) if (plugin.frame?.(frame) === false) return;
    this.listeners.emitAny(frame);
    if (!LIFECYCLE.has(frame.event)) this.listeners.emit(frame.event, frame.data, frame);
  }

  // ---- losing a connection ---------------------------------------------------------------

  /** One socket is gone (or never came): decide between a delayed retry and the end. */
  private lost(code: number, reason: string): void {
    this.teardown();
    if (this.stopped) return;
    if (!this.shouldRetry(code)) {
      this.stopped = true;
      return this.finish({ code, reason, willReconnect: false });
    }
    const delayMs = backoffDelay(this.attempt, this.o.reconnect, this.o.random);
    this.attempt += 1;
    this.urlIndex += 1;
    this.listeners.emit("close", { code, reason, willReconnect: true, delayMs }, { event: "close" });
    this.setState("reconnecting");
    this.timers.reconnect = this.o.clock.setTimeout(() => void this.open(), delayMs);
  }

  /** The shared close-code table, refined by what the token can do. */
  private shouldRetry(code: number): boolean {
    if (!this.o.reconnectEnabled || this.attempt >= this.o.reconnect.maxAttempts) return false;
    if (code === CloseCodes.TOKEN_EXPIRED.code || code === CloseCodes.AUTH_FAILED.code) {
      // 4009: only a new token helps. 4003: retry once with a fresh token, never with the same one.
      const retry = this.tokens.renewable && (code === CloseCodes.TOKEN_EXPIRED.code || !this.tokenWasFresh);
      if (retry) this.forceFreshToken = true;
      return retry;
    }
    return describeCloseCode(code).reconnect;
  }

  private teardown(): void {
    const clock = this.o.clock;
    clock.clearTimeout(this.timers.connect);
    clock.clearTimeout(this.timers.refresh);
    clock.clearTimeout(this.timers.reconnect);
    this.timers = {};
    this.heartbeat.stop();
    this.requests.rejectAll(LocalErrorCodes.DISCONNECTED, "the connection closed before the ack");
  }

  private finish(event: CloseEvent): void {
    this.waiters.rejectAll(new SwitchboardError(LocalErrorCodes.CLOSED, `connection closed: ${event.code} ${event.reason}`.trim()));
    this.listeners.emit("close", event, { event: "close" });
    this.setState("closed");
  }

  // ---- requests, refresh, state ------------------------------------------------------------

  private whenConnected(timeoutMs: number): Promise<ConnectedData> {
    if (this.current === "connected" && this.session) return Promise.resolve(this.session);
    if (this.current === "closed") return Promise.reject(new SwitchboardError(LocalErrorCodes.CLOSED, "the client is closed"));
    return this.waiters.wait(timeoutMs);
  }

  private sendRequest<R>(event: string, data: unknown, timeoutMs: number): Promise<R> {
    const id = this.requests.nextId();
    const result = this.requests.wait<R>(id, timeoutMs, event);
    if (!this.conn?.send({ event, data, id })) this.requests.settle({ id, ok: false, error: { code: LocalErrorCodes.DISCONNECTED, message: "not connected" } });
    return result;
  }

  /** For idempotent requests (join, leave): sent again after a reconnect instead of failing. */
  private async resend<R>(event: string, data: unknown): Promise<R> {
    for (;;) {
      try {
        return await this.request<R>(event, data);
      } catch (err) {
        if (!(err instanceof SwitchboardError) || err.code !== LocalErrorCodes.DISCONNECTED) throw err;
      }
    }
  }

  private scheduleRefresh(token: string): void {
    this.o.clock.clearTimeout(this.timers.refresh);
    const exp = decodeJwtExp(token);
    if (!this.tokens.renewable || exp === undefined || this.o.transport === "sse") return; // SSE: 4009, then a fresh ticket
    const remaining = exp - this.serverNow();
    const delay = Math.max(0, remaining - Math.min(this.o.refreshMarginMs, remaining / 4));
    // A refused refresh is not retried: the server closes 4009 at `exp` and the reconnect fetches a new token.
    this.timers.refresh = this.o.clock.setTimeout(() => void this.refresh().catch(() => undefined), delay);
  }

  /** The server's clock as estimated from `connected.data.time` (token expiry is judged there). */
  private serverNow(): number {
    return this.o.clock.now() + this.skewMs;
  }

  private setState(state: ClientState): void {
    const previous = this.current;
    if (previous === state) return;
    this.current = state;
    this.listeners.emit("state", { state, previous }, { event: "state" });
  }
}

function toList(rooms: string | string[]): string[] {
  return typeof rooms === "string" ? [rooms] : [...rooms];
}

/** Creates a client (connecting right away unless `autoConnect: false`). */
export function createClient<S extends object = Record<string, unknown>>(options: ClientOptions): SwitchboardClient<S> {
  return new SwitchboardClient<S>(options);
}
