/**
 * An existing Bun + Hono application that embeds Switchboard:
 * - the Switchboard REST API mounted under `/realtime` of the host app,
 * - the operator dashboard under `/ops`, behind the host's own login (a session cookie),
 * - the client WebSocket on its own `Bun.serve` (its own port: realtime traffic stays off the app),
 *   while the dashboard's live channel (`/admin/ws`) goes through the host's server, because the
 *   dashboard's Content-Security-Policy only lets it connect to its own origin,
 * - host routes that issue client tokens (`/token`) and emit to a room (`POST /orders`).
 *
 * Start: `bun examples/hono-host/server.ts` (see README.md for the settings).
 */
import { Hono, type MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createDashboardHandler, createSwitchboard, signToken } from "switchboard";

const env = process.env;
const PORT = Number(env.PORT ?? 8080);
const WS_PORT = Number(env.WS_PORT ?? 8081);
const HOSTNAME = env.HOST ?? "127.0.0.1";
const JWT_SECRET = env.JWT_SECRET ?? crypto.randomUUID() + crypto.randomUUID();
const ADMIN_TOKEN = env.ADMIN_TOKEN ?? crypto.randomUUID();
const ADMIN_WS_PATH = "/admin/ws";
const USERS: Record<string, string> = { [env.HOST_USER ?? "demo"]: env.HOST_PASSWORD ?? "demo" };

// ---- Switchboard, embedded ---------------------------------------------------------------

const sb = createSwitchboard({
  jwtSecret: JWT_SECRET,
  adminToken: ADMIN_TOKEN,
  defaultRooms: [],
  allowedRooms: ["orders", "user-{userId}"],
  logLevel: (env.LOG_LEVEL as "info" | undefined) ?? "warn",
});
await sb.start();
const realtime = Bun.serve({ port: WS_PORT, hostname: HOSTNAME, fetch: sb.fetch, websocket: sb.websocket });
const wsBase = `ws://${HOSTNAME}:${realtime.port}`;

// ---- the host's own login (stand-in for whatever the application already has) -------------

const sessions = new Map<string, string>();
const SESSION_COOKIE = "host_session";

function currentUser(c: Parameters<MiddlewareHandler>[0]): string | undefined {
  const sid = getCookie(c, SESSION_COOKIE);
  return sid ? sessions.get(sid) : undefined;
}

const requireLogin: MiddlewareHandler = async (c, next) => {
  if (!currentUser(c)) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 302);
  await next();
};

const app = new Hono();

app.get("/", (c) => c.html(`<h1>Shop</h1><p><a href="/login">Log in</a> · <a href="/ops/">Operations dashboard</a></p>`));

app.get("/login", (c) =>
  c.html(`<form method="post" action="/login"><input name="user" placeholder="user"><input name="password" type="password" placeholder="password"><button>Log in</button></form>`),
);

app.post("/login", async (c) => {
  const form = await c.req.parseBody();
  const user = String(form.user ?? "");
  if (!USERS[user] || USERS[user] !== String(form.password ?? "")) return c.text("wrong user or password", 401);
  const sid = crypto.randomUUID();
  sessions.set(sid, user);
  setCookie(c, SESSION_COOKIE, sid, { httpOnly: true, sameSite: "Lax", path: "/" });
  // The dashboard logs in from the URL fragment, which browsers never send to a server.
  return c.redirect(`/ops/#token=${ADMIN_TOKEN}`, 302);
});

app.post("/logout", (c) => {
  const sid = getCookie(c, SESSION_COOKIE);
  if (sid) sessions.delete(sid);
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
  return c.redirect("/", 302);
});

// ---- Switchboard inside the host app ------------------------------------------------------

// REST API (health, emit, clients, rooms, …): its own bearer-token auth applies under the prefix.
app.route("/realtime", sb.api);

// Dashboard behind the host's login; it reads its API and live-channel locations from config.json.
const dashboard = createDashboardHandler("/ops");
app.use("/ops", requireLogin);
app.use("/ops/*", requireLogin);
app.get("/ops/config.json", (c) => c.json({ apiBase: "/realtime", wsUrl: ADMIN_WS_PATH }));
app.get("/ops", (c) => dashboard(c.req.raw));
app.get("/ops/*", (c) => dashboard(c.req.raw));

// A client token for the logged-in user (the SDK calls this as its token function).
app.get("/token", requireLogin, async (c) => c.json({ token: await signToken(JWT_SECRET, { sub: currentUser(c) }, "10m"), url: `${wsBase}/ws` }));

// The host's business logic emits to connected clients directly.
app.post("/orders", requireLogin, async (c) => {
  const order = { id: crypto.randomUUID(), by: currentUser(c), ...(await c.req.json<Record<string, unknown>>()) };
  const recipients = await sb.toRoom("orders", "order:created", order);
  return c.json({ order, recipients }, 201);
});

// The host's server: the app, plus the upgrade of the dashboard's live channel (token-authenticated by Switchboard).
const web = Bun.serve({
  port: PORT,
  hostname: HOSTNAME,
  fetch: (req, server) => (new URL(req.url).pathname === ADMIN_WS_PATH ? sb.fetch(req, server) : app.fetch(req, { server })),
  websocket: sb.websocket,
});
console.log(JSON.stringify({ msg: "ready", http: `http://${HOSTNAME}:${web.port}`, ws: `${wsBase}/ws` }));
if (!env.ADMIN_TOKEN) console.log(`Generated ADMIN_TOKEN for this run: ${ADMIN_TOKEN}`);

async function stop(): Promise<void> {
  web.stop();
  await sb.shutdown();
  realtime.stop(true);
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
