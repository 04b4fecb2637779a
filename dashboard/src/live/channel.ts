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
import { backoffDelay, type BackoffPolicy } from "../../../shared/backoff.ts";
import { CloseCodes } from "../../../shared/close-codes.ts";
import { parseJsonObject } from "../../../shared/json.ts";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "rejected";

export interface LiveChannelHandlers {
  onFrame(frame: AdminFrame): void;
  onStatus(status: LiveStatus, detail: { attempt: number; retryInMs?: number }): void;
}

/**
 * Reconnect delays: doubling from 250 ms up to 5 s, the lower 20 % random so that dashboards do
 * not stampede a restarted server (the project's one backoff, shared/backoff.ts).
 */
export const LIVE_BACKOFF: BackoffPolicy = Object.freeze({ minDelayMs: 250, maxDelayMs: 5000, factor: 2, jitter: 0.2 });

export class LiveChannel {
  private socket?: WebSocket;
  private timer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly handlers: LiveChannelHandlers,
    private readonly backoff: BackoffPolicy = LIVE_BACKOFF,
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
    this.socket?.close(CloseCodes.CLIENT_CLOSED.code, CloseCodes.CLIENT_CLOSED.reason);
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
    const frame = parseJsonObject<AdminFrame>(data);
    if (!frame) return;
    if (frame.event === "snapshot") {
      this.attempt = 0;
      this.handlers.onStatus("live", { attempt: 0 });
    }
    this.handlers.onFrame(frame);
  }

  private scheduleReconnect(): void {
    // `attempt` counts from 1 in the status; the backoff's first attempt is 0.
    this.attempt += 1;
    const retryInMs = Math.round(backoffDelay(this.attempt - 1, this.backoff));
    this.handlers.onStatus("reconnecting", { attempt: this.attempt, retryInMs });
    this.timer = setTimeout(() => {
      if (!this.stopped) this.open();
    }, retryInMs);
  }
}
