/**
 * @module shared/client/sse
 * The SDK's receive-only transport (`transport: "sse"`, SPEC §15): one attempt = `POST
 * <url>/ticket` with the token (and the rooms and recovery positions in the body), then the
 * stream `GET <url>?ticket=…`. It implements the same `ClientConnection` seam as the WebSocket
 * attempt, so the client's reconnect policy, backoff, token handling and history recovery apply
 * unchanged (positions travel in the ticket's `recover`, which covers every history room).
 *
 * Two readers:
 * - browsers use `EventSource`. It cannot set headers (hence the ticket) and only reports events
 *   it has a listener for, by name: the SDK listens for the protocol events and for every event
 *   name that has an `on()` handler (added as handlers are registered). Its own retry is turned
 *   off: a used ticket cannot be redeemed twice, so the SDK reconnects with a new one.
 * - Bun and Node.js read the stream with `fetch` and parse it here, send `Last-Event-ID`, see
 *   every event (also for `onAny`) and watch the keep-alives: a stream silent for `silenceMs`
 *   is dead (4002).
 *
 * HTTP refusals map onto the close-code table: 401 `unauthorized` → 4003, 429 → 4008,
 * 403 `encryption_required` → 4004; anything else (a used or expired ticket, 503) → 1006, retried.
 */
import { CloseCodes } from "../close-codes.ts";
import { WebSocketEvents as Events } from "../constants.ts";
import type { ConnectedData } from "../protocol.ts";
import type { ClientConnection, ConnectionHandlers, EventNames } from "./connection.ts";
import { LocalErrorCodes, SwitchboardError, type Clock, type ServerFrame } from "./types.ts";

const ABNORMAL = 1006;
/** Events the SDK itself needs from an EventSource, besides the application's. */
const PROTOCOL_EVENTS = [Events.CONNECTED, Events.DISCONNECT, Events.ERROR, "ack", Events.HEARTBEAT];

export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (ev: any) => void): void;
  close(): void;
}
export type EventSourceConstructor = new (url: string) => EventSourceLike;
export type FetchLike = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

export interface SseTransportOptions {
  /** Rooms asked for in every ticket (the stream cannot send `join`). */
  rooms: string[];
  /** Given (or found in a browser): read with it; otherwise with `fetch`. */
  EventSource?: EventSourceConstructor;
  fetch: FetchLike;
  clock: Clock;
  /** A fetch-read stream with no byte for this long is dead. @default 45000 (3 keep-alives) */
  silenceMs: number;
}

interface ParsedEvent {
  event: string;
  data: string;
  id?: string;
}

/** Incremental `text/event-stream` parser (the subset the server writes, plus CRLF and comments). */
export class SseParser {
  private buffer = "";
  private event = "";
  private data: string[] = [];
  private id?: string;

  /** Feeds text; returns the events completed by it. */
  push(text: string): ParsedEvent[] {
    this.buffer += text;
    const out: ParsedEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, "");
      this.buffer = this.buffer.slice(nl + 1);
      if (line === "") {
        if (this.data.length > 0) out.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
        this.event = "";
        this.data = [];
        this.id = undefined;
      } else if (!line.startsWith(":")) this.field(line);
    }
    return out;
  }

  private field(line: string): void {
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "event") this.event = value;
    else if (name === "data") this.data.push(value);
    else if (name === "id") this.id = value;
  }
}

/** `id: <room>:<seq>` back into the frame's `room`/`seq`, so history recovery and dedup see them. */
export function toFrame(event: string, dataText: string, id: string | undefined): ServerFrame {
  let data: unknown = null;
  try {
    data = JSON.parse(dataText);
  } catch {
    data = dataText;
  }
  const frame: ServerFrame = data === null ? { event } : { event, data };
  const at = id ? id.lastIndexOf(":") : -1;
  if (id && at > 0 && /^\d+$/.test(id.slice(at + 1))) Object.assign(frame, { room: id.slice(0, at), seq: Number(id.slice(at + 1)) });
  return frame;
}

/** The SSE transport is receive-only: what needs an ack (`join`, `leave`, `request`) fails at once, clearly. */
export function assertCanSend(transport: "ws" | "sse", event: string): void {
  if (transport !== "sse") return;
  throw new SwitchboardError(LocalErrorCodes.RECEIVE_ONLY, `${event} is not available on the receive-only SSE transport (ask for rooms with the rooms option)`);
}

function refusalCode(status: number, code: string | undefined): number {
  if (status === 401 && code === "unauthorized") return CloseCodes.AUTH_FAILED.code;
  if (status === 429) return CloseCodes.TOO_MANY_CONNECTIONS.code;
  if (status === 403 && code === "encryption_required") return CloseCodes.ENCRYPTION_REQUIRED.code;
  return ABNORMAL;
}

async function refusal(res: Response): Promise<[number, string]> {
  const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  return [refusalCode(res.status, body?.error?.code), body?.error?.message ?? `HTTP ${res.status}`];
}

export class SseClientConnection implements ClientConnection {
  readonly encrypted = false;
  private done = false;
  private readonly abortFetch = new AbortController();
  private source?: EventSourceLike;
  private unwatch?: () => void;
  private silence?: unknown;
  private lastEventId?: string;

  constructor(
    private readonly url: string,
    private readonly auth: Record<string, unknown>,
    private readonly o: SseTransportOptions,
    private readonly on: ConnectionHandlers,
    private readonly memory: { lastEventId?: string },
  ) {
    // After the constructor returns, so that the client already holds this attempt.
    void Promise.resolve().then(() => this.run());
  }

  /** Receive-only: nothing can be sent on a stream. */
  send(): boolean {
    return false;
  }

  abort(code: number, reason: string): void {
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.o.clock.clearTimeout(this.silence);
    this.unwatch?.();
    this.source?.close();
    this.abortFetch.abort();
    if (this.lastEventId !== undefined) this.memory.lastEventId = this.lastEventId;
    this.on.closed(code, reason);
  }

  private async run(): Promise<void> {
    this.on.opened();
    let ticket: string;
    try {
      ticket = await this.ticket();
    } catch (err) {
      const [code, reason] = Array.isArray(err) ? (err as [number, string]) : [ABNORMAL, `Ticket request failed: ${(err as Error).message}`];
      return this.finish(code, reason);
    }
    if (this.done) return;
    const streamUrl = `${this.url}?ticket=${encodeURIComponent(ticket)}`;
    if (this.o.EventSource) this.listen(new this.o.EventSource(streamUrl));
    else void this.read(streamUrl);
  }

  private async ticket(): Promise<string> {
    const body: Record<string, unknown> = { rooms: this.o.rooms };
    if (this.auth.recover) body.recover = this.auth.recover;
    const res = await this.o.fetch(`${this.url}/ticket`, {
      method: "POST",
      headers: { authorization: `Bearer ${String(this.auth.token)}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: this.abortFetch.signal,
    });
    if (res.status !== 200) throw await refusal(res);
    return ((await res.json()) as { ticket: string }).ticket;
  }

  private deliver(event: string, data: string, id: string | undefined): void {
    if (this.done) return;
    if (id) this.lastEventId = id;
    const frame = toFrame(event, data, id);
    if (event === Events.CONNECTED) return this.on.connected(frame.data as ConnectedData, false);
    if (event === Events.DISCONNECT) {
      const d = frame.data as { code?: number; reason?: string } | undefined;
      return this.finish(d?.code ?? ABNORMAL, d?.reason ?? "");
    }
    this.on.frame(frame);
  }

  // ---- EventSource (browsers) ----------------------------------------------------------------

  private listen(source: EventSourceLike): void {
    this.source = source;
    const names = new Set<string>();
    const add = (name: string) => {
      if (names.has(name)) return;
      names.add(name);
      source.addEventListener(name, (ev: { data?: string; lastEventId?: string }) => {
        // The transport's own `error` event carries no data; a server `error` frame does.
        if (name === Events.ERROR && typeof ev.data !== "string") return this.failed(source);
        this.deliver(name, ev.data ?? "null", ev.lastEventId || undefined);
      });
    };
    for (const name of PROTOCOL_EVENTS) add(name);
    for (const name of this.on.names?.names() ?? []) add(name);
    this.unwatch = this.on.names?.watch(add);
  }

  private failed(source: EventSourceLike): void {
    // CLOSED (2): refused or failed for good; CONNECTING (0): the browser would retry with the used ticket.
    if (source.readyState !== 1) this.finish(ABNORMAL, "Event stream failed");
  }

  // ---- fetch (Bun, Node.js) ------------------------------------------------------------------

  private async read(streamUrl: string): Promise<void> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (this.memory.lastEventId) headers["last-event-id"] = this.memory.lastEventId;
    let res: Response;
    try {
      res = await this.o.fetch(streamUrl, { headers, signal: this.abortFetch.signal });
    } catch (err) {
      return this.finish(ABNORMAL, `Event stream failed: ${(err as Error).message}`);
    }
    if (res.status !== 200 || !res.body) return this.finish(...(await refusal(res)));
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    try {
      for (this.armSilence(); !this.done; this.armSilence()) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const e of parser.push(decoder.decode(value, { stream: true }))) this.deliver(e.event, e.data, e.id);
      }
    } catch {
      // aborted or dropped: reported below
    }
    this.finish(ABNORMAL, "Event stream ended");
  }

  private armSilence(): void {
    this.o.clock.clearTimeout(this.silence);
    if (this.done) return;
    this.silence = this.o.clock.setTimeout(() => this.finish(CloseCodes.HEARTBEAT_TIMEOUT.code, "Event stream silent"), this.o.silenceMs);
  }
}

/** The SSE attempt factory for one client (it remembers the last event id across attempts). */
export function sseConnector(o: SseTransportOptions): (url: string, auth: Record<string, unknown>, on: ConnectionHandlers) => ClientConnection {
  const memory: { lastEventId?: string } = {};
  return (url, auth, on) => new SseClientConnection(url.replace(/[?#].*$/, "").replace(/\/$/, ""), auth, o, on, memory);
}

export type { EventNames };
