/**
 * @module bench/servers/ignis
 * The published Ignis helper (`@venizia/ignis-helpers` `WebSocketServerHelper`) on Bun, set up
 * the way its documentation does: a Redis connection (required by the helper; the bench starts
 * its own `redis-server`), `Bun.serve` upgrading `/ws` with a `clientId`, and the helper's
 * handler as the `websocket`. Authentication verifies the same HS256 tokens with jose, and
 * rooms are allowed as asked, so the work per client matches Switchboard's.
 *
 * An emit is the helper's `send({destination: room, payload})`: its local fan-out (one Bun
 * topic publish) plus its Redis publish, which the helper always does. The helper's winston
 * logs go to a temporary folder (it writes log files to its working directory).
 */
import { RedisHelper, WebSocketServerHelper } from "@venizia/ignis-helpers";
import { jwtVerify } from "jose";
import { announceReady, benchEnv, parseEmit } from "./common.ts";
import { collect } from "./heap.ts";

const env = benchEnv(process.env);
const redisUrl = new URL(env.redisUrl ?? "redis://127.0.0.1:6379");
const key = new TextEncoder().encode(env.secret);

const redis = new RedisHelper({ name: "bench", host: redisUrl.hostname, port: Number(redisUrl.port), password: "", autoConnect: true });

let helper: WebSocketServerHelper | undefined;

type Data = { clientId: string };

async function fetch(req: Request, srv: Bun.Server<Data>): Promise<Response | undefined> {
  const url = new URL(req.url);
  if (url.pathname === "/ws") {
    return srv.upgrade(req, { data: { clientId: crypto.randomUUID() } }) ? undefined : new Response("upgrade failed", { status: 500 });
    }
    if (url.pathname === "/bench/emit" && req.method === "POST") {
      const body = parseEmit(await req.text());
      if (!body) return new Response("bad body", { status: 400 });
      helper?.send({ destination: body.to.room, payload: { topic: body.event, data: body.data } });
      return Response.json({ ok: true }, { status: 202 });
    }
    if (url.pathname === "/bench/room") return Response.json({ size: helper?.getClientsByRoom({ room: url.searchParams.get("name") ?? "" }).length ?? 0 });
    if (url.pathname === "/bench/gc") {
      return Response.json(collect());
    }
    return new Response("not found", { status: 404 });
}

// The websocket handler is replaced by the helper's below, before any client connects.
const server = Bun.serve<Data>({ port: env.port, hostname: "127.0.0.1", fetch, websocket: { message() {} } });

helper = new WebSocketServerHelper({
  identifier: "bench-ignis",
  redisConnection: redis,
  // The helper's own structural type of a Bun server predates Bun 1.4's typings.
  server: server as unknown as ConstructorParameters<typeof WebSocketServerHelper>[0]["server"],
  authenticateFn: async (data: Record<string, unknown>) => {
    try {
      const { payload } = await jwtVerify(String(data.token), key, { algorithms: ["HS256"] });
      return { userId: String(payload.sub) };
    } catch {
      return null;
    }
  },
  validateRoomFn: ({ rooms }) => rooms,
});
await helper.configure();
server.reload({ fetch, websocket: helper.getBunWebSocketHandler() as never });

process.on("SIGTERM", () => {
  void helper?.shutdown().finally(() => {
    server.stop(true);
    process.exit(0);
  });
});

announceReady({ port: server.port, kind: "ignis" });
