/**
 * The dashboard served by a host application under its own paths: `createDashboardHandler`
 * serves `config.json` beside the page, and the page takes the API's location from it, so the
 * dashboard works under any mount path with the REST API mounted anywhere else.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { Hono } from "hono";
import type { Browser } from "playwright-core";
import { createDashboardHandler } from "../../server/dashboard/serve.ts";
import { createSwitchboard, type Switchboard } from "../../server/switchboard.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";
import { signToken } from "../../server/auth/jwt.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let sb: Switchboard;
let host: ReturnType<typeof Bun.serve>;
let origin: string;
let browser: Browser;

beforeAll(async () => {
  await ensureFreshDashboard();
  sb = createSwitchboard({ jwtSecret: TEST_SECRET, adminToken: ADMIN_TOKEN, logLevel: "error", allowedRooms: ["*"] });
  await sb.start();
  const app = new Hono();
  app.route("/ops/api", sb.api);
  const dashboard = createDashboardHandler("/ops/board", { apiBase: "/ops/api" });
  app.get("/ops/board", (c) => dashboard(c.req.raw));
  app.get("/ops/board/*", (c) => dashboard(c.req.raw));
  host = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, server) => (req.headers.get("upgrade") ? sb.fetch(req, server) : app.fetch(req)),
    websocket: sb.websocket,
  });
  origin = `http://127.0.0.1:${host.port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await sb?.shutdown();
  host?.stop(true);
});

test("the handler serves config.json from its options, with the page's strict CSP and no caching", async () => {
  const res = await fetch(`${origin}/ops/board/config.json`);
  expect(await res.json()).toEqual({ apiBase: "/ops/api", wsUrl: "/admin/ws" });
  expect(res.headers.get("cache-control")).toBe("no-cache");
  expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  const page = await fetch(`${origin}/ops/board/`);
  const csp = page.headers.get("content-security-policy")!;
  expect(csp).not.toContain("'unsafe-eval'");
  expect(csp).not.toContain("'unsafe-inline'");
  expect(await page.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});

test("the dashboard mounted at /ops/board talks to the API at /ops/api and shows live clients", async () => {
  const client = await TestClient.authenticated(`ws://127.0.0.1:${host.port}${sb.options.path}`, await signToken(TEST_SECRET, { sub: "embedded" }, "1h"));
  const { page, problems } = await openLoggedIn(browser, origin, "/ops/board/", ADMIN_TOKEN);
  const apiPaths: string[] = [];
  page.on("request", (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.includes("api")) apiPaths.push(pathname);
  });
  await showView(page, "Clients");
  await page.locator(`tr[data-client-id="${client.id}"]`).waitFor({ timeout: UI_TIMEOUT });
  expect(apiPaths.length).toBeGreaterThan(0);
  expect(apiPaths.every((p) => p.startsWith("/ops/api/"))).toBe(true);
  expect(problems).toEqual([]);
  client.close();
});
