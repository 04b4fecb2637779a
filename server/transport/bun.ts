/**
 * @module server/transport/bun
 * The Bun adapter: upgrades HTTP requests on the WebSocket path (Origin allow-list, connection
 * cap, unauthenticated-socket cap, refusal while shutting down), implements `Connection` over `ServerWebSocket`, and maps
 * Bun's `open`/`message`/`close`/`drain` callbacks onto the hub. Room and broadcast fan-out use
 * Bun's native topics through the server object (`server.publish`).
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { randomUUID } from "node:crypto";
import type { Connection } from "../core/connection.ts";
import type { Hub } from "../core/hub.ts";
import type { Session } from "../core/session.ts";
import type { AdminConnection, AdminSocket } from "../admin/channel.ts";
import { clientView, createProxyTrust, isSameOrigin, type ClientView, type ProxyTrust } from "./proxy.ts";

export interface SocketData {
  id: string;
  remoteAddress: string;
  userAgent: string;
  /** Which protocol the socket speaks: the client one (a hub session) or the admin channel's. */
  kind: "client" | "admin";
  session?: Session;
  /** The admin channel's connection, once the socket opened (admin sockets only). */
  admin?: AdminConnection;
}

/** The admin channel, as the transport sees it. */
export interface AdminEndpoint {
  path: string;
  open(socket: AdminSocket): AdminConnection;
  message(conn: AdminConnection, text: string): void;
  close(conn: AdminConnection): void;
}

export type BunServer = Server<SocketData>;

export interface TransportOptions {
  path: string;
  allowedOrigins: string[];
  maxConnections: number;
  /** Cap on sockets not yet authenticated, client and admin, plus upgrades in flight; 0 = none. */
  maxUnauthenticated: number;
  maxPayloadLength: number;
  idleTimeout: number;
  perMessageDeflate: boolean;
  backpressureLimit: number;
  closeOnBackpressureLimit: boolean;
  sendPings: boolean;
  publishToSelf: boolean;
  /** TRUST_PROXY entries: peers whose X-Forwarded-* headers are believed (none by default). */
  trustProxy?: string[];
}

class BunConnection implements Connection {
  constructor(private readonly ws: ServerWebSocket<SocketData>) {}

  send(text: string): number {
    return this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  subscribe(topic: string): void {
    this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.ws.unsubscribe(topic);
  }

  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }

  get remoteAddress(): string {
    return this.ws.data.remoteAddress;
  }

  get userAgent(): string {
    return this.ws.data.userAgent;
  }
}

/**
 * The per-socket buffer cap handed to Bun: beyond it Bun drops frames (memory stays bounded). It
 * sits above the hub's own hard cut (8 × the limit, checked every 250 ms), so a slow consumer is
 * normally closed by the hub with 4006 before Bun drops anything.
 */
export const RUNTIME_BUFFER_FACTOR = 16;

export class BunTransport {
  /** Upgrades accepted whose `open` has not run yet, so the cap counts them. */
  private opening = 0;
  /** Admin sockets open that have not sent their first frame (their authenticate) yet. */
  private readonly pendingAdmins = new Set<SocketData>();
  private readonly trust: ProxyTrust | undefined;

  constructor(
    private readonly hub: Hub,
    private readonly options: TransportOptions,
    private readonly admin?: AdminEndpoint,
  ) {
    this.trust = createProxyTrust(options.trustProxy);
  }

  /** The client as seen through trusted proxies (the socket's peer when none is trusted). */
  private client(req: Request, server: BunServer): ClientView {
    return clientView(req, server.requestIP(req)?.address ?? "", this.trust);
  }

  isUpgrade(req: Request, pathname: string): boolean {
    return (pathname === this.options.path || pathname === this.admin?.path) && req.headers.get("upgrade")?.toLowerCase() === "websocket";
  }

  /**
   * Sockets that have not authenticated yet: client sessions not (yet) authenticated, admin
   * sockets before their first frame, and upgrades accepted whose `open` has not run. A flood of
   * sockets that never authenticate is held to `maxUnauthenticated` (each one also ends at the
   * auth timeout), so it cannot exhaust memory or crowd out clients that do authenticate.
   */
  get unauthenticated(): number {
    const { connections, authenticated } = this.hub.counts();
    return connections - authenticated + this.pendingAdmins.size + this.opening;
  }

  private tooManyUnauthenticated(): boolean {
    const max = this.options.maxUnauthenticated;
    return max > 0 && this.unauthenticated >= max;
  }

  /** The admin channel accepts its own origin (the dashboard) and the allowed origins. */
  private upgradeAdmin(req: Request, server: BunServer): Response | undefined {
    if (this.hub.isShuttingDown) return plain(503, "Server shutting down");
    const origin = req.headers.get("origin");
    const client = this.client(req, server);
    if (!isSameOrigin(origin, client) && !this.originAllowed(origin)) return plain(403, "Origin not allowed");
    if (this.tooManyUnauthenticated()) return plain(503, "Too many unauthenticated connections");
    const data: SocketData = { id: randomUUID(), remoteAddress: client.address, userAgent: req.headers.get("user-agent") ?? "", kind: "admin" };
    this.opening += 1;
    if (server.upgrade(req, { data })) return undefined;
    this.opening -= 1;
    return plain(500, "WebSocket upgrade failed");
  }

  /** Returns a response when the upgrade is refused, undefined when Bun took the socket. */
  upgrade(req: Request, server: BunServer, pathname = pathnameOf(req.url)): Response | undefined {
    if (this.admin && pathname === this.admin.path) return this.upgradeAdmin(req, server);
    if (this.hub.isShuttingDown) return plain(503, "Server shutting down");
    if (!this.originAllowed(req.headers.get("origin"))) return plain(403, "Origin not allowed");
    const max = this.options.maxConnections;
    if (max > 0 && this.hub.counts().connections + this.opening >= max) return plain(503, "Too many connections");
    if (this.tooManyUnauthenticated()) return plain(503, "Too many unauthenticated connections");
    const data: SocketData = {
      kind: "client",
      id: randomUUID(),
      remoteAddress: this.client(req, server).address,
      userAgent: req.headers.get("user-agent") ?? "",
    };
    // Counted before the call: Bun may run `open` synchronously inside `upgrade`.
    this.opening += 1;
    if (server.upgrade(req, { data })) return undefined;
    this.opening -= 1;
    return plain(500, "WebSocket upgrade failed");
  }

  /** An admin socket's first frame (its authenticate) or its close ends its pending state. */
  private settleAdmin(data: SocketData): void {
    if (data.kind === "admin") this.pendingAdmins.delete(data);
  }

  /** Browsers always send Origin; clients that send none (servers, CLIs) are not restricted by it. */
  private originAllowed(origin: string | null): boolean {
    const allowed = this.options.allowedOrigins;
    return origin === null || allowed.includes("*") || allowed.includes(origin);
  }

  handler(): WebSocketHandler<SocketData> {
    const o = this.options;
    return {
      open: (ws) => {
        this.opening = Math.max(0, this.opening - 1);
        if (ws.data.kind === "admin") {
          this.pendingAdmins.add(ws.data);
          ws.data.admin = this.admin?.open({ send: (t) => ws.send(t), close: (c, r) => ws.close(c, r), bufferedAmount: () => ws.getBufferedAmount() });
          return;
        }
        ws.data.session = this.hub.open(new BunConnection(ws), ws.data.id);
      },
      message: (ws, message) => {
        this.settleAdmin(ws.data);
        if (ws.data.admin) return this.admin?.message(ws.data.admin, typeof message === "string" ? message : new TextDecoder().decode(message));
        ws.data.session?.receive(message as string | Uint8Array);
      },
      close: (ws, code, reason) => {
        this.settleAdmin(ws.data);
        if (ws.data.admin) return this.admin?.close(ws.data.admin);
        const session = ws.data.session;
        if (session) this.hub.closed(session, code, reason);
      },
      drain: (ws) => {
        const session = ws.data.session;
        if (session) this.hub.drained(session);
      },
      maxPayloadLength: o.maxPayloadLength,
      idleTimeout: o.idleTimeout,
      perMessageDeflate: o.perMessageDeflate,
      backpressureLimit: o.backpressureLimit * RUNTIME_BUFFER_FACTOR,
      closeOnBackpressureLimit: o.closeOnBackpressureLimit,
      sendPings: o.sendPings,
      publishToSelf: o.publishToSelf,
    };
  }
}

/**
 * The path of an absolute request URL without building a URL object (on the upgrade path of
 * every connection, `new URL` was a measurable share of the CPU per connect).
 */
export function pathnameOf(url: string): string {
  const scheme = url.indexOf("://");
  const start = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
  if (start < 0) return "/";
  let end = url.length;
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  return url.slice(start, end);
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
