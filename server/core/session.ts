/**
 * @module server/core/session
 * One client connection: its state machine, inbound validation and routing, outbound encoding,
 * and per-connection policies (rate limit, slow consumer). Protocol procedures (auth, rooms,
 * custom events) are supplied by the host so that this file stays about the connection itself.
 *
 * Contract: nothing here throws into the transport. Every inbound frame is validated; invalid
 * ones get `error` `Invalid message format` and change nothing.
 */
import { CloseCodes, ErrorMessages, AckErrorCodes, type CloseCodeInfo } from "../../shared/close-codes.ts";
import { WebSocketClientStates as States, WebSocketEvents as Events, SwitchboardEvents } from "../../shared/constants.ts";
import { parseJsonObject } from "../../shared/json.ts";
import type { InboundFrame, OutboundFrame } from "../../shared/protocol.ts";
import type { Clock } from "./clock.ts";
import type { Connection } from "./connection.ts";
import type { ClientRecord } from "./registry.ts";
import type { CoreOptions, Logger, SessionCodec } from "./types.ts";
import { OrderedEncoder } from "./ordered-encoder.ts";

/** What a session needs from the hub. */
export interface SessionHost {
  readonly options: CoreOptions;
  readonly clock: Clock;
  readonly log: Logger;
  readonly encoder: OrderedEncoder;
  authenticate(session: Session, data: Record<string, unknown>, frameId?: string): void;
  join(session: Session, rooms: string[], frameId?: string): void;
  leave(session: Session, rooms: string[], frameId?: string): void;
  refresh(session: Session, data: unknown, frameId?: string): void;
  custom(session: Session, frame: InboundFrame & Record<string, unknown>): void;
  /** One inbound frame of `bytes` bytes (UTF-8). */
  countInbound(bytes: number): void;
  countOutbound(frames: number): void;
}

export class Session {
  /** Auth timers before authentication (the token expiry is in the hub's ExpiryQueue). */
  private timer: unknown;
  codec?: SessionCodec;
  /** Token-bucket rate limiter state. */
  private tokens: number;
  private refilledAt: number;
  private overflow = 0;
  private warnedAt = 0;
  /** The close this server decided on, reported to hooks even if the transport sees another code. */
  closingWith?: { code: number; reason: string };
  /** Room patterns granted by the credential (the token's `rooms` claim). */
  grantedRooms?: string[];
  expiresAt?: number;
  /** Rooms whose history is being replayed: live frames for them wait here until it is done. */
  recovering?: Map<string, OutboundFrame[]>;
  private closed = false;

  constructor(
    private readonly host: SessionHost,
    readonly conn: Connection,
    readonly record: ClientRecord,
  ) {
    this.tokens = host.options.rateLimitPerSecond * 2;
    this.refilledAt = record.connectedAt;
  }

  get id(): string {
    return this.record.id;
  }

  get state() {
    return this.record.state;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Starts the first auth timer (close 4001 if no `authenticate` arrives in time). */
  start(): void {
    this.arm(this.host.options.authTimeout, () => {
      if (this.record.state === States.UNAUTHORIZED) this.close(CloseCodes.AUTH_TIMEOUT);
    });
  }

  /** Replaces any timer; `fn` runs once unless replaced or cleared first. */
  arm(ms: number, fn: () => void): void {
    this.disarm();
    this.timer = this.host.clock.setTimeout(fn, ms);
  }

  disarm(): void {
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  receive(raw: string | Uint8Array): void {
    if (this.closed) return;
    const now = this.host.clock.now();
    this.record.lastActivity = now;
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    this.host.countInbound(typeof raw === "string" ? Buffer.byteLength(raw) : raw.byteLength);
    if (!this.admitByRate(now)) return;
    const frame = parseFrame(text);
    if (!frame) return this.error(ErrorMessages.INVALID_FORMAT);
    if (frame.event === Events.ENCRYPTED && this.codec?.decode) return this.receiveEncrypted(frame);
    this.route(frame);
  }

  private receiveEncrypted(frame: InboundFrame): void {
    this.codec!.decode!(frame.data).then(
      (inner) => {
        if (this.closed) return;
        const decoded = parseFrame(inner);
        if (!decoded || decoded.event === Events.ENCRYPTED) return this.error(ErrorMessages.INVALID_FORMAT, frame.id);
        this.route(decoded);
      },
      () => this.error(ErrorMessages.DECRYPT_FAILED, frame.id, AckErrorCodes.INVALID_FORMAT),
    );
  }

  private route(frame: InboundFrame & Record<string, unknown>): void {
    const { event, id } = frame;
    if (event === Events.HEARTBEAT) return this.heartbeat(id);
    if (event === Events.AUTHENTICATE) return this.host.authenticate(this, asObject(frame.data), id);
    if (this.record.state !== States.AUTHENTICATED) {
      return this.error(ErrorMessages.NOT_AUTHENTICATED, id, AckErrorCodes.NOT_AUTHENTICATED);
    }
    if (event === Events.JOIN || event === Events.LEAVE) {
      const rooms = roomsOf(frame.data);
      if (!rooms) return this.error(ErrorMessages.INVALID_ROOMS, id, AckErrorCodes.INVALID_ROOMS);
      return event === Events.JOIN ? this.host.join(this, rooms, id) : this.host.leave(this, rooms, id);
    }
    if (event === SwitchboardEvents.REFRESH) return this.host.refresh(this, frame.data, id);
    this.host.custom(this, frame);
  }

  /** A heartbeat only refreshes activity; with an `id` (and authenticated) it is answered. */
  private heartbeat(id: string | undefined): void {
    if (id === undefined || this.record.state !== States.AUTHENTICATED) return;
    this.send(Events.HEARTBEAT, { id, time: this.host.clock.now() });
  }

  /**
   * Token bucket of `rate` per second with a burst of 2×rate. A frame over the limit is dropped
   * with an `error` warning (at most one per second); once a further second's worth of frames
   * has been dropped without the bucket recovering, the client is closed 4005.
   */
  private admitByRate(now: number): boolean {
    const rate = this.host.options.rateLimitPerSecond;
    if (rate <= 0) return true;
    const burst = rate * 2;
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      if (this.tokens >= rate) this.overflow = 0;
      return true;
    }
    this.overflow += 1;
    if (this.overflow > rate) {
      this.close(CloseCodes.RATE_LIMITED);
    } else if (now - this.warnedAt >= 1000) {
      this.warnedAt = now;
      this.sendFrame({ event: Events.ERROR, data: { message: ErrorMessages.RATE_LIMITED } });
    }
    return false;
  }

  /** Sends one frame, through the codec when the session has one. */
  send(event: string, data?: unknown): void {
    this.sendFrame(data === undefined ? { event } : { event, data });
  }

  sendFrame(frame: OutboundFrame): void {
    if (this.closed) return;
    if (this.codec) this.host.encoder.enqueue(this, frame);
    else this.sendText(JSON.stringify(frame));
  }

  /** A frame for one of the client's rooms: held while that room's history is replayed. */
  deliverRoomFrame(room: string, frame: OutboundFrame): void {
    const held = this.recovering?.get(room);
    if (held) held.push(frame);
    else this.sendFrame(frame);
  }

  /** Writes already-encoded text; only for sessions without a codec (or the codec's output). */
  sendText(text: string): void {
    if (this.closed) return;
    this.conn.send(text);
    this.host.countOutbound(1);
  }

  /** `error` frame, plus an `ack` with ok:false when the offending frame carried an id. */
  error(message: string, id?: string, code: string = AckErrorCodes.INVALID_FORMAT): void {
    this.sendFrame({ event: Events.ERROR, data: { message } });
    if (id !== undefined) this.nack(id, code, message);
  }

  ack(id: string | undefined, result?: unknown): void {
    if (id === undefined) return;
    this.sendFrame({ event: SwitchboardEvents.ACK, data: result === undefined ? { id, ok: true } : { id, ok: true, result } });
  }

  nack(id: string | undefined, code: string, message: string): void {
    if (id === undefined) return;
    this.sendFrame({ event: SwitchboardEvents.ACK, data: { id, ok: false, error: { code, message } } });
  }

  /** Closes the socket; the transport's close callback then runs the hub's cleanup. */
  close(info: CloseCodeInfo, reason: string = info.reason): void {
    if (this.closed) return;
    this.closed = true;
    this.closingWith = { code: info.code, reason };
    this.disarm();
    try {
      this.conn.close(info.code, reason);
    } catch (err) {
      this.host.log.warn({ clientId: this.id, err: String(err) }, "close failed");
    }
  }

  /** Called by the hub when the transport reports the socket closed. */
  markClosed(): void {
    this.closed = true;
    this.disarm();
  }
}

function parseFrame(text: string): (InboundFrame & Record<string, unknown>) | undefined {
  const frame = parseJsonObject(text);
  if (!frame) return undefined;
  if (typeof frame.event !== "string" || frame.event.length === 0) return undefined;
  if (frame.id !== undefined && typeof frame.id !== "string") delete frame.id;
  return frame as InboundFrame & Record<string, unknown>;
}

function asObject(data: unknown): Record<string, unknown> {
  return typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/** `data.rooms` when it is an array of strings; undefined otherwise. */
function roomsOf(data: unknown): string[] | undefined {
  const rooms = (data as { rooms?: unknown } | null | undefined)?.rooms;
  if (!Array.isArray(rooms) || !rooms.every((r) => typeof r === "string")) return undefined;
  return rooms;
}

