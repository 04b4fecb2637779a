/**
 * @module bench/servers/bare
 * The runtime's floor: a bare `Bun.serve` WebSocket server with no authentication and no
 * bookkeeping beyond what a scenario needs. `join` subscribes the socket to the room's topic
 * (answered with an ack, like Switchboard's), `heartbeat` with an id is echoed, and an emit is
 * one `server.publish` of the encoded frame.
 *
 * With BENCH_AUTH=1 it is the reference for an authenticated connect (connection storm): an
 * `authenticate` frame is answered `connected` after checking the HS256 signature with
 * node:crypto and parsing the claims — the least work the protocol's authentication needs.
 *
 * With REDIS_URL it is also the bare cross-instance relay: an emit is published locally and to
 * Redis on `ws:room:<room>` (the SPEC §4 envelope); messages from other instances are decoded
 * and published to the local topic. Same Redis client library as Switchboard (ioredis).
 */
import type { ServerWebSocket } from "bun";
import { Redis } from "ioredis";
import { createHmac, createSecretKey, timingSafeEqual } from "node:crypto";
import { announceReady, benchEnv, parseEmit, roomEnvelope } from "./common.ts";
import { collect } from "./heap.ts";

const env = benchEnv(process.env);
const serverId = crypto.randomUUID();
const openTopics = Number(process.env.BENCH_OPEN_TOPICS ?? 0);
const hmacKey = process.env.BENCH_AUTH ? createSecretKey(Buffer.from(env.secret)) : undefined;
let members = new Map<string, number>();

interface Frame {
  event?: string;
  id?: string;
  data?: { rooms?: string[]; token?: string };
}

/** HS256 signature check and claim parsing, nothing more (the reference, not a verifier). */
function authenticate(ws: ServerWebSocket<unknown>, token: unknown): void {
  const t = String(token);
  const last = t.lastIndexOf(".");
  const expected = Buffer.from(createHmac("sha256", hmacKey!).update(t.slice(0, last)).digest("base64url"));
  const given = Buffer.from(t.slice(last + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return ws.close(4003, "Authentication failed");
  const claims = JSON.parse(Buffer.from(t.slice(t.indexOf(".") + 1, last), "base64url").toString()) as { sub?: string };
  ws.send(JSON.stringify({ event: "connected", data: { id: crypto.randomUUID(), userId: claims.sub } }));
}

function onMessage(ws: ServerWebSocket<unknown>, raw: string | Buffer): void {
  let frame: Frame;
  try {
    frame = JSON.parse(String(raw)) as Frame;
  } catch {
    return;
  }
  if (frame.event === "authenticate" && hmacKey) {
    authenticate(ws, frame.data?.token);
  } else if (frame.event === "heartbeat" && frame.id !== undefined) {
    ws.send(JSON.stringify({ event: "heartbeat", data: { id: frame.id, time: Date.now() } }));
  } else if (frame.event === "join" && Array.isArray(frame.data?.rooms)) {
    for (const room of frame.data.rooms) {
      ws.subscribe(room);
      members.set(room, (members.get(room) ?? 0) + 1);
    }
    ws.send(JSON.stringify({ event: "ack", data: { id: frame.id, ok: true } }));
  }
}

const pub = env.redisUrl ? new Redis(env.redisUrl) : undefined;
const sub = env.redisUrl ? new Redis(env.redisUrl) : undefined;

const server = Bun.serve({
  port: env.port,
  hostname: "127.0.0.1",
  async fetch(req, srv) {
    const url = new URL(req.url);
    if (url.pathname === "/ws") return srv.upgrade(req, { data: undefined }) ? undefined : new Response("upgrade failed", { status: 500 });
    if (url.pathname === "/bench/emit" && req.method === "POST") {
      const body = parseEmit(await req.text());
      if (!body) return new Response("bad body", { status: 400 });
      srv.publish(body.to.room, JSON.stringify({ event: body.event, data: body.data }));
      if (pub) await pub.publish(`ws:room:${body.to.room}`, roomEnvelope(serverId, body.to.room, body.event, body.data));
      return Response.json({ ok: true }, { status: 202 });
    }
    if (url.pathname === "/bench/room") return Response.json({ size: members.get(url.searchParams.get("name") ?? "") ?? 0 });
    if (url.pathname === "/bench/gc") {
      return Response.json(collect());
    }
    return new Response("not found", { status: 404 });
  },
  websocket: {
    open(ws) {
      // BENCH_OPEN_TOPICS=k: k topic subscriptions per socket (the memory scenario's breakdown row).
      for (let k = 0; k < openTopics; k++) ws.subscribe(`open-${k}`);
    },
    message: onMessage,
    close() {
      // Membership counts are only read while every client is connected.
    },
  },
});

if (sub) {
  await sub.psubscribe("ws:room:*");
  sub.on("pmessage", (_pattern: string, _channel: string, raw: string) => {
    const envelope = JSON.parse(raw) as { serverId: string; target: string; event: string; data: unknown };
    if (envelope.serverId === serverId) return;
    server.publish(envelope.target, JSON.stringify({ event: envelope.event, data: envelope.data }));
  });
}

process.on("SIGTERM", () => {
  members = new Map();
  server.stop(true);
  pub?.disconnect();
  sub?.disconnect();
  process.exit(0);
});

announceReady({ port: server.port, kind: "bare", relay: Boolean(pub) });
