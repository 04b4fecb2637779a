/**
 * Smoke test of examples/hono-host, started as its README says: the REST API answers under
 * /realtime, the dashboard is behind the host's login, the live channel works through the host,
 * and an SDK client with a host-issued token receives what the host's own route emits.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createClient } from "../../shared/client/index.ts";
import { waitFor } from "../sdk/helpers.ts";
import { startExample, type RunningExample } from "./helpers.ts";

const ADMIN_TOKEN = "example-admin-token-0123456789";
let host: RunningExample;
let http: string;
let cookie: string;

beforeAll(async () => {
  host = await startExample("examples/hono-host/server.ts", { PORT: "0", WS_PORT: "0", ADMIN_TOKEN, JWT_SECRET: "example-secret-0123456789-abcdefghij" });
  http = host.ready.http!;
});
afterAll(() => host?.stop());

test("the Switchboard REST API is mounted under /realtime with its own bearer auth", async () => {
  expect(await (await fetch(`${http}/realtime/health`)).json()).toEqual({ status: "ok" });
  const emit = (token?: string) =>
    fetch(`${http}/realtime/emit`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ to: { room: "orders" }, event: "ping", data: 1 }),
    });
  expect((await emit()).status).toBe(401);
  expect((await emit(ADMIN_TOKEN)).status).toBe(202);
});

test("the dashboard under /ops needs the host's login", async () => {
  const anonymous = await fetch(`${http}/ops/`, { redirect: "manual" });
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get("location")).toStartWith("/login");

  const wrong = await fetch(`${http}/login`, { method: "POST", body: new URLSearchParams({ user: "demo", password: "nope" }), redirect: "manual" });
  expect(wrong.status).toBe(401);
  const login = await fetch(`${http}/login`, { method: "POST", body: new URLSearchParams({ user: "demo", password: "demo" }), redirect: "manual" });
  expect(login.status).toBe(302);
  expect(login.headers.get("location")).toBe(`/ops/#token=${ADMIN_TOKEN}`);
  cookie = login.headers.get("set-cookie")!.split(";")[0]!;

  const page = await fetch(`${http}/ops/`, { headers: { cookie } });
  expect(page.headers.get("content-security-policy")).toContain("default-src 'self'"); // served by the dashboard handler
  expect(await (await fetch(`${http}/ops/config.json`, { headers: { cookie } })).json()).toEqual({ apiBase: "/realtime", wsUrl: "/admin/ws" });
});

test("the dashboard's live channel works through the host's server", async () => {
  const ws = new WebSocket(`${http.replace("http", "ws")}/admin/ws`);
  const frames: Array<{ event: string }> = [];
  ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  ws.send(JSON.stringify({ event: "authenticate", data: { token: ADMIN_TOKEN } }));
  await waitFor(() => frames.find((f) => f.event === "snapshot"), 5000, "admin snapshot");
  ws.close();
});

test("an SDK client with a host-issued token receives what the host's route emits", async () => {
  expect(cookie).toBeDefined();
  const tokenOf = async () => (await (await fetch(`${http}/token`, { headers: { cookie } })).json()) as { token: string; url: string };
  const { url } = await tokenOf();
  const client = createClient({ url, token: async () => (await tokenOf()).token });
  try {
    const connected = await client.connect();
    expect(connected.userId).toBe("demo");
    await client.join("orders");
    const orders: unknown[] = [];
    client.on("order:created", (o) => orders.push(o));
    const res = await fetch(`${http}/orders`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ sku: "A-1" }) });
    expect(res.status).toBe(201);
    expect((await res.json()).recipients).toBe(1);
    await waitFor(() => orders.length === 1, 5000, "order:created");
    expect(orders[0]).toMatchObject({ sku: "A-1", by: "demo" });
  } finally {
    client.close();
  }
});
