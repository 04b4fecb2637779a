/**
 * @module server/transport/sse-stream
 * One Server-Sent Events stream as a core `Connection` (SPEC §15). The session core writes the
 * same JSON frames it writes to a WebSocket; this turns each into `event:`/`data:` lines (with
 * `id: <room>:<seq>` for history-room frames) and feeds them to the HTTP response.
 *
 * Phases: `pending` while the session authenticates (frames are held, and a close then answers
 * the HTTP request with an error instead of a stream); `live` once the transport started the
 * stream (`connected` first); `ended` after a close by either side.
 *
 * Backpressure: the response body is a pull stream, and Bun pulls only while the socket takes
 * data (measured: with a reader that stops, pulls stop once the kernel buffers are full). Frames
 * not yet pulled wait in `queue`, so `bufferedAmount()` is what the reader has not taken, the
 * number the slow-consumer policy reads for WebSockets too. Beyond HARD_CAP_FACTOR × the limit
 * frames are dropped (memory stays bounded between the policy's checks), as Bun does for sockets.
 */
import { WebSocketEvents as Events } from "../../shared/constants.ts";
import type { Connection } from "../core/connection.ts";

export const HARD_CAP_FACTOR = 16;

/** Why a stream ended before it started (the session closed while authenticating). */
export interface Refusal {
  code: number;
  reason: string;
  /** The `error` frame's message the session sent before closing, if any. */
  message?: string;
}

type Phase = "pending" | "live" | "ended";

export interface WireFrame {
  event: string;
  data?: unknown;
  seq?: number;
  room?: string;
}

const encoder = new TextEncoder();
/** Fan-out hands the same text to every member in turn: parse it once for all of them. */
let lastText = "";
let lastChunk = "";

/** Event names come from emitters: a line break would end the field and forge others, so it is replaced. */
function fieldValue(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, " ") : text;
}

/** `event:`, optional `id:` and one `data:` line (JSON has no raw line breaks); `null` when absent. */
export function toEventChunk(frame: WireFrame): string {
  const id = typeof frame.seq === "number" && typeof frame.room === "string" ? `id: ${fieldValue(frame.room)}:${frame.seq}\n` : "";
  return `event: ${fieldValue(frame.event)}\n${id}data: ${JSON.stringify(frame.data ?? null)}\n\n`;
}

export function formatFrame(text: string): string {
  if (text === lastText) return lastChunk;
  const chunk = toEventChunk(JSON.parse(text) as WireFrame);
  lastText = text;
  lastChunk = chunk;
  return chunk;
}

export class SseConnection implements Connection {
  readonly transport = "sse" as const;
  /** No runtime topics for a stream: the hub serves it by direct sends (core/membership.ts). */
  readonly direct = true;
  readonly stream: ReadableStream<Uint8Array>;
  /** Set by the transport: runs the hub's cleanup once the stream ended (either side). */
  onEnd?: (code: number, reason: string) => void;
  /** Resolves when the session sent `connected` (undefined) or closed before it (a Refusal). */
  readonly admitted: Promise<Refusal | undefined>;
  /** Resolves when the runtime has taken the last chunk after an end (or the reader left). */
  readonly finished: Promise<void>;
  private settleAdmission!: (refusal: Refusal | undefined) => void;
  private settleFinished!: () => void;
  private phase: Phase = "pending";
  private held: string[] = [];
  private queue: string[] = [];
  private queued = 0;
  private closeAfterQueue = false;
  private wake?: () => void;
  private controller?: ReadableStreamDefaultController<Uint8Array>;

  constructor(
    readonly remoteAddress: string,
    readonly userAgent: string,
    private readonly backpressureLimit: number,
  ) {
    this.admitted = new Promise((resolve) => (this.settleAdmission = resolve));
    this.finished = new Promise((resolve) => (this.settleFinished = resolve));
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => void (this.controller = controller),
        pull: (controller) => this.pull(controller),
        cancel: () => this.readerLeft(),
      },
      { highWaterMark: 0 },
    );
  }

  get isLive(): boolean {
    return this.phase === "live";
  }

  send(text: string): number {
    if (this.phase === "ended") return 0;
    if (this.phase === "pending") {
      if (this.held.length === 0 && (JSON.parse(text) as WireFrame).event === Events.CONNECTED) this.settleAdmission(undefined);
      this.held.push(text);
      return text.length;
    }
    return this.write(formatFrame(text));
  }

  /** Removes and returns the first held frame that `match` accepts (an internal answer, not for the client). */
  takeHeld(match: (frame: WireFrame) => boolean): WireFrame | undefined {
    for (let i = 0; i < this.held.length; i++) {
      const frame = JSON.parse(this.held[i]!) as WireFrame;
      if (!match(frame)) continue;
      this.held.splice(i, 1);
      return frame;
    }
    return undefined;
  }

  /**
   * Starts the stream: `connected` (its data extended with `extra`), then every frame held
   * meanwhile, in order. False when the session already ended.
   */
  start(extra: Record<string, unknown>): boolean {
    if (this.phase !== "pending") return false;
    this.phase = "live";
    const [first, ...rest] = this.held;
    this.held = [];
    if (first) {
      const connected = JSON.parse(first) as WireFrame;
      this.write(toEventChunk({ event: connected.event, data: { ...(connected.data as object), ...extra } }));
    }
    for (const text of rest) this.write(formatFrame(text));
    return true;
  }

  /** A keep-alive comment, written only when the reader took everything before it (see activity). */
  keepAlive(): boolean {
    if (this.phase !== "live" || this.queued > 0) return false;
    this.write(": keep-alive\n\n");
    return true;
  }

  close(code: number, reason: string): void {
    if (this.phase === "ended") return;
    const wasPending = this.phase === "pending";
    this.phase = "ended";
    if (wasPending) {
      this.settleAdmission({ code, reason, message: errorMessageOf(this.held) });
      this.held = [];
      this.endStream();
    } else {
      // What a slow reader has not taken is given up (4006 semantics); otherwise it goes first.
      if (this.queued > this.backpressureLimit) this.dropQueue();
      this.push(`event: ${Events.DISCONNECT}\ndata: ${JSON.stringify({ code, reason })}\n\n`);
      this.closeAfterQueue = true;
      this.flushIfWaiting();
    }
    queueMicrotask(() => this.onEnd?.(code, reason));
  }

  subscribe(): void {}

  unsubscribe(): void {}

  bufferedAmount(): number {
    return this.queued;
  }

  private write(chunk: string): number {
    if (this.queued > this.backpressureLimit * HARD_CAP_FACTOR) return 0;
    this.push(chunk);
    this.flushIfWaiting();
    return chunk.length;
  }

  private push(chunk: string): void {
    this.queue.push(chunk);
    this.queued += chunk.length;
  }

  private flushIfWaiting(): void {
    const wake = this.wake;
    if (!wake || !this.controller) return;
    this.wake = undefined;
    this.hand(this.controller);
    wake();
  }

  /** The runtime wants data: hand over what is queued, or wait until something is. */
  private pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | void {
    if (this.queue.length > 0 || this.closeAfterQueue) return this.hand(controller);
    return new Promise((resolve) => (this.wake = resolve));
  }

  private hand(controller: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.queue.length > 0) {
      const text = this.queue.length === 1 ? this.queue[0]! : this.queue.join("");
      this.dropQueue();
      controller.enqueue(encoder.encode(text));
    }
    if (this.closeAfterQueue) this.endStream();
  }

  private dropQueue(): void {
    this.queue = [];
    this.queued = 0;
  }

  private endStream(): void {
    this.closeAfterQueue = false;
    try {
      this.controller?.close();
    } catch {
      // Already closed or cancelled by the reader.
    }
    this.settleFinished();
  }

  /** The client went away (or the response was never used): the session ends as a dropped socket does. */
  private readerLeft(): void {
    this.dropQueue();
    this.settleFinished();
    if (this.phase === "ended") return;
    const wasPending = this.phase === "pending";
    this.phase = "ended";
    if (wasPending) this.settleAdmission({ code: 1006, reason: "stream closed by client" });
    queueMicrotask(() => this.onEnd?.(1006, "stream closed by client"));
  }
}

function errorMessageOf(held: string[]): string | undefined {
  for (const text of held) {
    const frame = JSON.parse(text) as WireFrame;
    if (frame.event === Events.ERROR) return (frame.data as { message?: string } | undefined)?.message;
  }
  return undefined;
}
