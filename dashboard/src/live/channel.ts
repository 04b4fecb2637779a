/**
 * @module dashboard/live/channel
 * The dashboard's connection to the live admin channel (SPEC §8), kept up across server
 * restarts: authenticate as the first frame, then hand every frame to `onFrame`. When the socket
 * closes for any reason but a rejected token (4003) it reconnects with exponential backoff and
 * jitter, re-authenticates, and the server answers with a fresh `snapshot`.
 *
 * Status contract: `connecting` (first attempt) → `live` (after the snapshot) → `reconnecting`
 * (socket lost, retrying) → `live` … ; `rejected` is terminal (the token is no longer accepted).
 */
import type { AdminFrame } from "../../../shared/admin.ts";
import { CloseCodes } from "../../../shared/close-codes.ts";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "rejected";

export interface LiveChannelHandlers {
  onFrame(frame: AdminFrame): void;
  onStatus(status: LiveStatus, detail: { attempt: number; retryInMs?: number }): void;
}

export interface BackoffOptions {
  /** First retry delay. @default 250 */
  initialMs: number;
  /** Longest delay between attempts. @default 5000 */
  maxMs: number;
}

/** The delay before attempt `n` (1-based): doubling from `initialMs`, capped, ±20% jitter so restarts don't stampede. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class LiveChannel {
  private socket?: WebSocket;
  private timer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: LiveChannelHandlers,
    private readonly backoff: BackoffOptions = { initialMs: 250, maxMs: 5000 },
  ) {}

  start(): void {
    this.stopped = false;
    this.handlers.onStatus("connecting", { attempt: 0 });
    this.open();
  }

  /** Closes for good (logout or unmount); no reconnection follows. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "dashboard closed");
    this.socket = undefined;
  }

  private open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ event: "authenticate", data: { token: this.token } }));
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.socket !== ws || this.stopped) return;
      this.socket = undefined;
      if (e.code === CloseCodes.AUTH_FAILED.code) {
        this.stopped = true;
        this.handlers.onStatus("rejected", { attempt: this.attempt });
        return;
      }
      this.scheduleReconnect();
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let frame: AdminFrame;
    try {
      frame = JSON.parse(data) as AdminFrame;
    } catch {
      return;
    }
    if (frame.event === "snapshot") {
      this.attempt = 0;
      this.handlers.onStatus("live", { attempt: 0 });
    }
    this.handlers.onFrame(frame);
  }

  private scheduleReconnect(): void {
    this.attempt += 1;
    const retryInMs = backoffDelay(this.attempt, this.backoff);
    this.handlers.onStatus("reconnecting", { attempt: this.attempt, retryInMs });
    this.timer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, retryInMs);
  }
}
