/**
 * @module server/admin/channel
 * The live admin channel (SPEC §8) at `/admin/ws`. The first frame must authenticate with an
 * admin or viewer token (else 4003; none within the auth timeout → 4001). The server then sends
 * a `snapshot`, streams cluster events, and `stats` once a second.
 *
 * Flood control: when more than `aggregateAbove` events arrive within one second the channel
 * says so (`mode` {aggregated:true}) and from then on sends only per-second counts (`aggregate`)
 * until a second with fewer than half that many events (`mode` {aggregated:false}). Each socket's
 * send buffer is bounded: while it is above `bufferLimit`, stream frames to it are dropped (and
 * counted), so a slow browser cannot grow the server's memory.
 */
import { CloseCodes, ErrorMessages } from "../../shared/close-codes.ts";
import { parseJsonObject } from "../../shared/json.ts";
import type { AdminStreamEventName, StreamEvent } from "../../shared/admin.ts";
import type { RoleResolver, Role } from "../auth/roles.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { Logger } from "../core/types.ts";

export interface AdminSocket {
  send(text: string): number;
  close(code: number, reason: string): void;
  bufferedAmount(): number;
}

export interface AdminChannelOptions {
  view: ClusterView;
  roles: RoleResolver;
  log: Logger;
  /** Events per second above which the stream switches to aggregated counts. @default 200 */
  aggregateAbove: number;
  /** Per-socket send buffer above which stream frames are dropped. @default 1 MiB */
  bufferLimit: number;
  authTimeoutMs: number;
  /** Told when the first admin socket authenticates and when the last one leaves (feeds attach lazily). */
  onActive?: (active: boolean) => void;
}

export interface AdminConnection {
  readonly socket: AdminSocket;
  role?: Role;
  timer?: ReturnType<typeof setTimeout>;
  dropped: number;
  /** The first frame is being checked: later frames are ignored (one authentication per socket). */
  authenticating?: boolean;
  /** The socket closed: an authentication still in progress must not register it. */
  closed?: boolean;
}

export type { StreamEvent };

const SNAPSHOT_PAGE = 50;

export class AdminChannel {
  private readonly connections = new Set<AdminConnection>();
  private windowCount = 0;
  private counts: Partial<Record<AdminStreamEventName, number>> = {};
  private aggregated = false;

  constructor(private readonly o: AdminChannelOptions) {}

  get size(): number {
    return this.connections.size;
  }

  get isAggregated(): boolean {
    return this.aggregated;
  }

  open(socket: AdminSocket): AdminConnection {
    const conn: AdminConnection = { socket, dropped: 0 };
    conn.timer = setTimeout(() => {
      if (!conn.role) socket.close(CloseCodes.AUTH_TIMEOUT.code, CloseCodes.AUTH_TIMEOUT.reason);
    }, this.o.authTimeoutMs);
    return conn;
  }

  async message(conn: AdminConnection, text: string): Promise<void> {
    if (conn.role || conn.authenticating || conn.closed) return;
    conn.authenticating = true;
    const frame = parseJsonObject<{ event?: unknown; data?: { token?: unknown } | null }>(text);
    const token = frame?.event === "authenticate" ? frame.data?.token : undefined;
    const who = typeof token === "string" ? await this.o.roles.resolve(token) : undefined;
    if (conn.closed) return;
    if (!who || (who.role !== "admin" && who.role !== "viewer")) {
      conn.socket.send(JSON.stringify({ event: "error", data: { message: ErrorMessages.AUTH_FAILED } }));
      conn.socket.close(CloseCodes.AUTH_FAILED.code, CloseCodes.AUTH_FAILED.reason);
      return;
    }
    clearTimeout(conn.timer);
    conn.role = who.role;
    await this.sendSnapshot(conn);
    // Closed while the snapshot was read (a slow cluster view): registering it would leak it.
    if (conn.closed) return;
    this.connections.add(conn);
    if (this.connections.size === 1) this.o.onActive?.(true);
    if (this.aggregated) this.sendTo(conn, { event: "mode", data: { aggregated: true, eventsPerSec: this.windowCount, threshold: this.o.aggregateAbove } });
  }

  close(conn: AdminConnection): void {
    conn.closed = true;
    clearTimeout(conn.timer);
    if (this.connections.delete(conn) && this.connections.size === 0) this.o.onActive?.(false);
  }

  private async sendSnapshot(conn: AdminConnection): Promise<void> {
    const { view } = this.o;
    const [stats, instances, clients, rooms] = await Promise.all([
      view.stats(), view.instances(), view.listClients({}, { limit: SNAPSHOT_PAGE }), view.listRooms(undefined, { limit: SNAPSHOT_PAGE }),
    ]);
    conn.socket.send(JSON.stringify({ event: "snapshot", data: { role: conn.role, stats, instances, clients, rooms } }));
  }

  /** One cluster event: streamed individually, or only counted while aggregated. */
  publish(event: StreamEvent): void {
    this.windowCount += 1;
    if (!this.aggregated && this.windowCount > this.o.aggregateAbove) this.setAggregated(true);
    if (this.aggregated) {
      this.counts[event.event] = (this.counts[event.event] ?? 0) + 1;
      return;
    }
    if (this.connections.size > 0) this.broadcast(JSON.stringify(event));
  }

  /**
   * Events that another instance only counted (it caps what it forwards during a storm): they
   * count toward the rate and, while aggregated, the aggregate; they are never streamed.
   */
  countOnly(counts: Partial<Record<AdminStreamEventName, number>>): void {
    for (const [name, n] of Object.entries(counts) as Array<[AdminStreamEventName, number]>) {
      if (!Number.isFinite(n) || n <= 0) continue;
      this.windowCount += n;
      if (!this.aggregated && this.windowCount > this.o.aggregateAbove) this.setAggregated(true);
      if (this.aggregated) this.counts[name] = (this.counts[name] ?? 0) + n;
    }
  }

  /** Called once a second: stats to everyone, the aggregate window, and the mode decision. */
  async tick(): Promise<void> {
    const count = this.windowCount;
    this.windowCount = 0;
    if (this.aggregated) {
      const counts = this.counts;
      this.counts = {};
      this.broadcast(JSON.stringify({ event: "aggregate", data: { counts, windowMs: 1000, at: Date.now() } }));
      if (count < this.o.aggregateAbove / 2) this.setAggregated(false, count);
    }
    if (this.connections.size === 0) return;
    const stats = await this.o.view.stats();
    this.broadcast(JSON.stringify({ event: "stats", data: { ...stats, at: Date.now() } }));
  }

  private setAggregated(on: boolean, eventsPerSec = this.windowCount): void {
    this.aggregated = on;
    this.o.log.info({ aggregated: on, eventsPerSec, threshold: this.o.aggregateAbove }, "admin stream mode changed");
    this.broadcast(JSON.stringify({ event: "mode", data: { aggregated: on, eventsPerSec, threshold: this.o.aggregateAbove } }));
  }

  private broadcast(text: string): void {
    for (const conn of this.connections) this.sendTo(conn, text);
  }

  private sendTo(conn: AdminConnection, frame: string | object): void {
    if (conn.socket.bufferedAmount() > this.o.bufferLimit) {
      conn.dropped += 1;
      return;
    }
    conn.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  shutdown(): void {
    for (const conn of this.connections) conn.socket.close(CloseCodes.SHUTDOWN.code, CloseCodes.SHUTDOWN.reason);
    if (this.connections.size > 0) this.o.onActive?.(false);
    this.connections.clear();
  }
}
