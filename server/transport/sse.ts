/**
 * @module server/transport/sse
 * The Server-Sent Events transport (SPEC §15), mounted at SSE_PATH (default `/sse`):
 *
 * - `POST <path>/ticket` — `Authorization: Bearer <client JWT>`, body `{rooms?, recover?}` →
 *   `{ticket, expiresIn}` (seconds). The JWT is checked here (401 if refused) and kept with the
 *   ticket, single-use, for 30 s. `recover: {rooms: {<room>: <last seq>}}` carries the positions
 *   of several history rooms (a `Last-Event-ID` names only one).
 * - `GET <path>?ticket=…` — redeems the ticket and opens a core session over an SseConnection:
 *   the session authenticates with the ticket's JWT through the WebSocket flow (per-user cap,
 *   recovery), then joins the rooms asked for under the same room policy as `join`. The stream
 *   starts with `connected` (WebSocket data plus `denied`, and `seq` — the join positions — when
 *   history rooms were joined), then carries every frame a WebSocket client would get.
 *   `Last-Event-ID: <room>:<seq>` (header, or the `lastEventId` query parameter for a new
 *   `EventSource`, which cannot set headers) adds that room to the recovery positions.
 *
 * Activity (for HEARTBEAT_TIMEOUT_MS): a receive-only client sends nothing, so its activity is
 * each keep-alive written while the reader has taken everything written before it. A reader
 * that stops reading stops being active and is closed 4002 after the timeout, as a silent
 * WebSocket is. Keep-alives go out every 15 s, or every half heartbeat timeout if that is shorter.
 */
import { randomUUID } from "node:crypto";
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { CloseCodes } from "../../shared/close-codes.ts";
import { SwitchboardEvents } from "../../shared/constants.ts";
import { errorBody } from "../api/errors.ts";
import { bearerToken } from "../auth/roles.ts";
import type { Hub } from "../core/hub.ts";
import { joinRooms } from "../core/message-flow.ts";
import type { Session } from "../core/session.ts";
import type { Logger } from "../core/types.ts";
import type { BunServer } from "./bun.ts";
import { SseConnection, type Refusal } from "./sse-stream.ts";
import { isTicketShaped, type TicketPayload, type TicketStore } from "./sse-tickets.ts";

export interface SseOptions {
  allowedOrigins: string[];
  maxConnections: number;
  backpressureLimit: number;
  ticketTtlMs: number;
  keepAliveMs: number;
  heartbeatTimeout: number;
}

export type SseApp = Hono<{ Bindings: { server?: BunServer } }>;

const MAX_ROOMS = 100;
/** The id of the internal join's ack, which the stream never shows (an SSE client sends no frames). */
const JOIN_ACK_ID = "sse:join";

const TicketBody = z.strictObject({
  rooms: z.array(z.string().min(1).max(256)).max(MAX_ROOMS).optional(),
  recover: z
    .strictObject({ rooms: z.record(z.string().min(1).max(256), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)) })
    .refine((r) => Object.keys(r.rooms).length <= MAX_ROOMS, { message: `at most ${MAX_ROOMS} rooms` })
    .optional(),
});

/** `<room>:<seq>` → [room, seq]; undefined when malformed (then it is ignored). */
export function parseLastEventId(text: string | undefined | null): [string, number] | undefined {
  if (!text) return undefined;
  const at = text.lastIndexOf(":");
  const digits = text.slice(at + 1);
  if (at <= 0 || !/^\d{1,16}$/.test(digits)) return undefined;
  const seq = Number(digits);
  return Number.isSafeInteger(seq) ? [text.slice(0, at), seq] : undefined;
}

/** The ticket's positions plus the Last-Event-ID one (the later position wins for its room). */
export function recoveryPositions(recover: Record<string, number>, lastEventId: string | undefined | null): Record<string, number> | undefined {
  const positions = { ...recover };
  const last = parseLastEventId(lastEventId);
  if (last) positions[last[0]] = Math.max(positions[last[0]] ?? 0, last[1]);
  return Object.keys(positions).length > 0 ? positions : undefined;
}

/** How a session that closed before `connected` answers the HTTP request. */
function refusalStatus(refusal: Refusal): [ContentfulStatusCode, string] {
  if (refusal.code === CloseCodes.AUTH_FAILED.code) return [401, "unauthorized"];
  if (refusal.code === CloseCodes.TOO_MANY_CONNECTIONS.code) return [429, "too_many_connections"];
  if (refusal.code === CloseCodes.ENCRYPTION_REQUIRED.code) return [403, "encryption_required"];
  return [503, "unavailable"];
}

export class SseTransport {
  readonly app: SseApp = new Hono();
  /** Streams started and not yet ended, with their sessions (for keep-alives). */
  private readonly live = new Map<SseConnection, Session>();
  /** Streams whose last bytes the runtime has not taken yet (shutdown waits for them). */
  private readonly unfinished = new Set<SseConnection>();
  private ticker?: ReturnType<typeof setInterval>;

  constructor(
    private readonly hub: Hub,
    private readonly tickets: TicketStore,
    private readonly options: SseOptions,
    private readonly log: Logger,
  ) {
    const origins = options.allowedOrigins;
    this.app.use("*", cors({ origin: origins.includes("*") ? "*" : origins, allowHeaders: ["Authorization", "Content-Type", "Last-Event-ID"], maxAge: 600 }));
    this.app.post("/ticket", (c) => this.issueTicket(c));
    this.app.get("/", (c) => this.openStream(c));
  }

  /** Open SSE streams. */
  get size(): number {
    return this.live.size;
  }

  get keepAliveMs(): number {
    return Math.max(10, Math.min(this.options.keepAliveMs, Math.floor(this.options.heartbeatTimeout / 2)));
  }

  start(): void {
    this.ticker ??= setInterval(() => this.keepAlive(), this.keepAliveMs);
  }

  /** Stops keep-alives, then waits (at most `ms`) until every ended stream's last bytes were taken. */
  async drain(ms: number): Promise<void> {
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.unfinished.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const all = Promise.all([...this.unfinished].map((conn) => conn.finished));
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  private keepAlive(): void {
    const now = this.hub.clock.now();
    for (const [conn, session] of this.live) if (conn.keepAlive()) session.record.lastActivity = now;
  }

  private async verify(token: string): Promise<boolean> {
    const authenticate = this.hub.hooks.authenticate;
    if (!authenticate) return false;
    try {
      return Boolean(await authenticate({ token }));
    } catch {
      return false;
    }
  }

  private async issueTicket(c: Context): Promise<Response> {
    if (this.hub.isShuttingDown) return c.json(errorBody("shutting_down", CloseCodes.SHUTDOWN.reason), 503);
    const token = bearerToken(c.req.header("authorization"));
    if (!token || !(await this.verify(token))) return c.json(errorBody("unauthorized", "missing or invalid bearer token (a client JWT)"), 401);
    const text = await c.req.text();
    let json: unknown = {};
    try {
      if (text.trim() !== "") json = JSON.parse(text);
    } catch {
      return c.json(errorBody("invalid_json", "body: not valid JSON"), 400);
    }
    const parsed = TicketBody.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue && issue.path.length > 0 ? issue.path.join(".") : undefined;
      return c.json(errorBody("invalid_request", `${field ?? "body"}: ${issue?.message ?? "invalid"}`, field), 400);
    }
    const payload: TicketPayload = { token, rooms: parsed.data.rooms ?? [], recover: parsed.data.recover?.rooms ?? {} };
    try {
      const ticket = await this.tickets.issue(payload, this.options.ticketTtlMs);
      return c.json({ ticket, expiresIn: Math.ceil(this.options.ticketTtlMs / 1000) }, 200, { "cache-control": "no-store" });
    } catch (err) {
      this.log.warn({ err: String(err) }, "SSE ticket store unavailable");
      return c.json(errorBody("unavailable", "tickets cannot be issued right now (broker down)"), 503);
    }
  }

  private originAllowed(origin: string | undefined): boolean {
    const allowed = this.options.allowedOrigins;
    return origin === undefined || allowed.includes("*") || allowed.includes(origin);
  }

  private async redeem(raw: string | undefined): Promise<TicketPayload | undefined | "down"> {
    if (!isTicketShaped(raw)) return undefined;
    try {
      return await this.tickets.redeem(raw);
    } catch (err) {
      this.log.warn({ err: String(err) }, "SSE ticket store unavailable");
      return "down";
    }
  }

  private async openStream(c: Context<{ Bindings: { server?: BunServer } }>): Promise<Response> {
    if (this.hub.isShuttingDown) return c.json(errorBody("shutting_down", CloseCodes.SHUTDOWN.reason), 503);
    if (!this.originAllowed(c.req.header("origin"))) return c.json(errorBody("forbidden", "origin not allowed"), 403);
    const payload = await this.redeem(c.req.query("ticket"));
    if (payload === "down") return c.json(errorBody("unavailable", "tickets cannot be checked right now (broker down)"), 503);
    if (!payload) return c.json(errorBody("invalid_ticket", "ticket missing, unknown, already used or expired: get a new one with POST <SSE_PATH>/ticket"), 401);
    const max = this.options.maxConnections;
    if (max > 0 && this.hub.counts().connections >= max) return c.json(errorBody("too_many_connections", CloseCodes.TOO_MANY_CONNECTIONS.reason), 503);
    const server = c.env?.server;
    // A stream is quiet between keep-alives; Bun's idle timeout (10 s by default) must not end it.
    server?.timeout(c.req.raw, 0);
    const conn = new SseConnection(server?.requestIP(c.req.raw)?.address ?? "", c.req.header("user-agent") ?? "", this.options.backpressureLimit);
    const session = this.hub.open(conn, randomUUID());
    if (!session) return c.json(errorBody("shutting_down", CloseCodes.SHUTDOWN.reason), 503);
    this.track(conn, session);
    const positions = recoveryPositions(payload.recover, c.req.header("last-event-id") ?? c.req.query("lastEventId"));
    this.hub.authenticate(session, positions ? { token: payload.token, recover: { rooms: positions } } : { token: payload.token });
    const refusal = await conn.admitted;
    if (refusal) {
      const [status, code] = refusalStatus(refusal);
      return c.json(errorBody(code, refusal.message ?? refusal.reason), status);
    }
    const extra = payload.rooms.length > 0 ? await this.joinRequested(session, conn, payload.rooms) : { denied: [] };
    if (!conn.start(extra)) return c.json(errorBody("unavailable", "the session ended before the stream started"), 503);
    this.live.set(conn, session);
    return c.body(conn.stream, 200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
  }

  private track(conn: SseConnection, session: Session): void {
    this.unfinished.add(conn);
    void conn.finished.then(() => this.unfinished.delete(conn));
    conn.onEnd = (code, reason) => {
      this.live.delete(conn);
      this.hub.closed(session, code, reason);
    };
  }

  /** The join of a WebSocket client, whose ack is taken out of the stream and becomes `denied`/`seq`. */
  private async joinRequested(session: Session, conn: SseConnection, rooms: string[]): Promise<Record<string, unknown>> {
    await joinRooms(this.hub, session, rooms, JOIN_ACK_ID);
    const ack = conn.takeHeld((f) => f.event === SwitchboardEvents.ACK && (f.data as { id?: string } | undefined)?.id === JOIN_ACK_ID);
    const result = (ack?.data as { result?: { denied?: string[]; seq?: Record<string, number> } } | undefined)?.result;
    return result?.seq ? { denied: result.denied ?? [], seq: result.seq } : { denied: result?.denied ?? [] };
  }
}
