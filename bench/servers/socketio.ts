/**
 * @module bench/servers/socketio
 * Socket.IO 4 on Node with its default engine (engine.io over `ws`), the way its documentation
 * sets it up: `new Server(httpServer)`, a middleware verifying the same HS256 token (sent in the
 * CONNECT packet's auth), `join` as an acknowledged event, `io.to(room).emit` for an emit.
 * With REDIS_URL it uses `@socket.io/redis-adapter` over ioredis for cross-instance delivery.
 *
 * Node cannot run TypeScript, so `bench/lib/build.ts` bundles this file for Node (with the npm
 * packages left external) before a run; it uses no Bun API.
 */
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { jwtVerify } from "jose";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Server } from "socket.io";
import { announceReady, benchEnv, parseEmit } from "./common.ts";

const env = benchEnv(process.env);
const key = new TextEncoder().encode(env.secret);
const http = createServer((req, res) => void route(req, res));
const io = new Server(http);

if (env.redisUrl) {
  const pub = new Redis(env.redisUrl);
  io.adapter(createAdapter(pub, pub.duplicate()));
}

io.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown }).token;
  jwtVerify(String(token), key, { algorithms: ["HS256"] }).then(
    ({ payload }) => {
      socket.data.userId = payload.sub;
      next();
    },
    () => next(new Error("Authentication failed")),
  );
});

io.on("connection", (socket) => {
  socket.on("join", (data: { rooms?: string[] }, ack?: (answer: unknown) => void) => {
    const rooms = Array.isArray(data?.rooms) ? data.rooms : [];
    void socket.join(rooms);
    ack?.({ ok: true, joined: rooms });
  });
  socket.on("heartbeat", (data: { id?: string }) => {
    socket.emit("heartbeat", { id: data?.id, time: Date.now() });
  });
});

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return text;
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === "/bench/emit" && req.method === "POST") {
    const body = parseEmit(await readBody(req));
    if (!body) return reply(400, { error: "bad body" });
    io.to(body.to.room).emit(body.event, body.data);
    return reply(202, { ok: true });
  }
  if (url.pathname === "/bench/room") return reply(200, { size: io.of("/").adapter.rooms.get(url.searchParams.get("name") ?? "")?.size ?? 0 });
  if (url.pathname === "/bench/gc") {
    (globalThis as { gc?: () => void }).gc?.();
    return reply(200, { rss: process.memoryUsage.rss() });
  }
  reply(404, { error: "not found" });
}

process.on("SIGTERM", () => {
  io.close();
  process.exit(0);
});

http.listen(env.port, "127.0.0.1", () => {
  const address = http.address();
  announceReady({ port: typeof address === "object" && address ? address.port : 0, kind: "socketio" });
});
