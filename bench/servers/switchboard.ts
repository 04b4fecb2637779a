/**
 * @module bench/servers/switchboard
 * Switchboard as a user deploys it: configured from the environment by the same table as the
 * CLI (`settingsFromEnv`), served by `Bun.serve` with the library's own `fetch` and `websocket`
 * (exactly what `listen()` does). Bench-only routes sit in front of it: `POST /bench/emit`
 * calls the library's `toRoom` (the same kind of minimal route the other servers get),
 * `GET /bench/room` and `POST /bench/gc`. The real REST API (`POST /api/emit`) is there too.
 *
 * It does not build the dashboard (the CLI would) so that a fresh clone benchmarks quickly.
 */
import { settingsFromEnv } from "../../server/config/settings.ts";
import type { SwitchboardOptions } from "../../server/config/options.ts";
import { createSwitchboard } from "../../server/switchboard.ts";
import type { BunServer, SocketData } from "../../server/transport/bun.ts";
import { announceReady, parseEmit } from "./common.ts";
import { collect } from "./heap.ts";

const sb = createSwitchboard(settingsFromEnv(process.env) as SwitchboardOptions);
await sb.start();

async function benchRoute(req: Request, url: URL): Promise<Response | undefined> {
  if (url.pathname === "/bench/emit" && req.method === "POST") {
    const body = parseEmit(await req.text());
    if (!body) return new Response("bad body", { status: 400 });
    const recipients = await sb.toRoom(body.to.room, body.event, body.data);
    return Response.json({ recipients }, { status: 202 });
  }
  if (url.pathname === "/bench/room") {
    const name = url.searchParams.get("name") ?? "";
    return Response.json({ size: sb.getClients({ room: name }).length });
  }
  if (url.pathname === "/bench/gc") {
    return Response.json(collect());
  }
  return undefined;
}

const server: BunServer = Bun.serve<SocketData>({
  port: sb.options.port,
  hostname: sb.options.host,
  fetch(req, srv) {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/bench/")) return benchRoute(req, url).then((res) => res ?? new Response("not found", { status: 404 }));
    return sb.fetch(req, srv);
  },
  websocket: sb.websocket,
});

process.on("SIGTERM", () => {
  void sb.shutdown().then(() => {
    server.stop(true);
    process.exit(0);
  });
});

announceReady({ port: server.port, kind: "switchboard", broker: sb.broker.kind });
