/**
 * A small browser chat on Switchboard: one Bun server that serves the page, the SDK bundle and
 * demo tokens, and Switchboard itself (WebSocket at /ws, REST API at /api) through `sb.fetch`.
 * Messages go client → `chat:send` request → `onMessage` → `toRoom("chat-lobby")` → every page.
 *
 * Start: `bun examples/browser-chat/server.ts`, then open http://127.0.0.1:3000 in two tabs.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createSwitchboard, signToken } from "switchboard";

const ROOM = "chat-lobby";
const PORT = Number(process.env.PORT ?? 3000);
const HOSTNAME = process.env.HOST ?? "127.0.0.1";
const JWT_SECRET = process.env.JWT_SECRET ?? crypto.randomUUID() + crypto.randomUUID();
const PUBLIC = join(import.meta.dir, "public");
const BUNDLE = join(import.meta.dir, "..", "..", "dist", "client", "switchboard-client.js");

const sb = createSwitchboard({
  jwtSecret: JWT_SECRET,
  defaultRooms: [],
  allowedRooms: ["chat-*"],
  logLevel: (process.env.LOG_LEVEL as "info" | undefined) ?? "warn",
  // The ack of `chat:send` carries what this returns; a throw becomes an `ok:false` ack.
  onMessage: async ({ userId, message }) => {
    if (message.event !== "chat:send") throw new Error(`unknown event ${message.event}`);
    const text = String((message.data as { text?: unknown } | undefined)?.text ?? "").trim().slice(0, 500);
    if (!text) throw new Error("empty message");
    await sb.toRoom(ROOM, "chat:message", { from: userId, text, at: new Date().toISOString() });
    return { delivered: true };
  },
});

/** The SDK's browser bundle: the built one (`npm run build:client`), else built now with the same settings. */
async function sdkBundle(): Promise<string> {
  if (existsSync(BUNDLE)) return Bun.file(BUNDLE).text();
  const result = await Bun.build({ entrypoints: [Bun.resolveSync("switchboard/client", import.meta.dir)], target: "browser", format: "esm", minify: true });
  if (!result.success) throw new Error(`building the SDK bundle failed: ${result.logs.join("\n")}`);
  return result.outputs[0]!.text();
}

const bundle = await sdkBundle();
const js = { "content-type": "text/javascript; charset=utf-8" };

/** DEMO ONLY: anyone gets a token for any name. A real app issues tokens after its own login. */
async function demoToken(url: URL): Promise<Response> {
  const name = (url.searchParams.get("name") ?? "").trim().slice(0, 32);
  if (!/^[\w .-]+$/.test(name)) return Response.json({ error: "name: 1-32 letters, digits, spaces, . _ -" }, { status: 400 });
  return Response.json({ token: await signToken(JWT_SECRET, { sub: name }, "5m") });
}

await sb.start();
const server = Bun.serve({
  port: PORT,
  hostname: HOSTNAME,
  websocket: sb.websocket,
  fetch: (req, srv) => {
    const url = new URL(req.url);
    if (url.pathname === "/") return new Response(Bun.file(join(PUBLIC, "index.html")));
    if (url.pathname === "/chat.js") return new Response(Bun.file(join(PUBLIC, "chat.js")), { headers: js });
    if (url.pathname === "/switchboard-client.js") return new Response(bundle, { headers: js });
    if (url.pathname === "/token") return demoToken(url);
    return sb.fetch(req, srv); // /ws upgrades, /api/*
  },
});
console.log(JSON.stringify({ msg: "ready", http: `http://${HOSTNAME}:${server.port}`, ws: `ws://${HOSTNAME}:${server.port}/ws` }));

async function stop(): Promise<void> {
  await sb.shutdown();
  server.stop(true);
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
