/**
 * A real `EventSource` in Chromium against the SSE transport: it receives a REST emit, and after
 * the server restarts (shut down, then a new server on the same port; history in a real Redis) it reconnects
 * with a fresh ticket and its last event id, and gets the messages published meanwhile — none
 * lost, none doubled — before live ones.
 *
 * The page code is what an application without the SDK writes: `POST /sse/ticket` with the JWT,
 * then `new EventSource("/sse?ticket=…&lastEventId=…")` (a new EventSource cannot set the
 * Last-Event-ID header, so the server also reads it from the query).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Browser } from "playwright-core";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { ADMIN_TOKEN, api, startServer, type TestServer } from "../helpers/server.ts";
import { TestSseStream } from "../helpers/sse-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, openPage, showView, TEST_TIMEOUT, UI_TIMEOUT, type WatchedPage } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let redis: TestRedis;
let server: TestServer;
let browser: Browser;
let watched: WatchedPage;

const options = () => ({ redisUrl: redis.url, allowedRooms: ["h-live"], historyRooms: ["h-live"], port: server?.port ?? 0 });

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer(options());
  browser = await launchChromium();
  watched = await openPage(browser, server.http);
  await watched.page.goto(`${server.http}/api/health`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await redis?.stop();
});

interface PageEvent {
  type: string;
  data: any;
  lastEventId: string;
}

/** Installs `window.sse.open()` in the page: ticket, then an EventSource that records its events. */
async function installPageClient(token: string): Promise<void> {
  await watched.page.evaluate((jwt) => {
    const w = window as any;
    w.events = [] as PageEvent[];
    w.lastEventId = "";
    w.sse = {
      async open() {
        const res = await fetch("/sse/ticket", { method: "POST", headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" }, body: JSON.stringify({ rooms: ["h-live"] }) });
        if (res.status !== 200) throw new Error(`ticket: ${res.status}`);
        const { ticket } = await res.json();
        const query = w.lastEventId ? `&lastEventId=${encodeURIComponent(w.lastEventId)}` : "";
        const es = new EventSource(`/sse?ticket=${ticket}${query}`);
        w.source = es;
        const record = (type: string) => (ev: MessageEvent) => {
          if (ev.lastEventId) w.lastEventId = ev.lastEventId;
          w.events.push({ type, data: JSON.parse(ev.data), lastEventId: ev.lastEventId });
          if (type === "disconnect") es.close();
        };
        for (const type of ["connected", "tick", "disconnect"]) es.addEventListener(type, record(type) as EventListener);
        es.onerror = () => es.close(); // its own retry would reuse a spent ticket
      },
    };
  }, token);
}

const pageEvents = () => watched.page.evaluate(() => (window as any).events as PageEvent[]);
const ticks = async () => (await pageEvents()).filter((e) => e.type === "tick").map((e) => e.data.n);
const emitTick = (n: number) => api(server, "POST", "/api/emit", { event: "tick", data: { n }, to: { room: "h-live" } });

test("a browser EventSource receives a REST emit, with the history id as its lastEventId", async () => {
  await installPageClient(await server.token({ sub: "browser" }));
  await watched.page.evaluate(() => (window as any).sse.open());
  await watched.page.waitForFunction(() => (window as any).events.some((e: PageEvent) => e.type === "connected"), undefined, { timeout: UI_TIMEOUT });
  const connected = (await pageEvents())[0]!;
  expect(connected.type).toBe("connected");
  expect(connected.data).toMatchObject({ userId: "browser", denied: [] });
  const listed = await api(server, "GET", `/api/clients/${connected.data.id}`);
  expect(listed.body.transport).toBe("sse");
  expect(listed.body.userAgent).toContain("Chrome");
  for (const n of [1, 2]) expect((await emitTick(n)).body.recipients).toBe(1);
  await watched.page.waitForFunction(() => (window as any).events.filter((e: PageEvent) => e.type === "tick").length === 2, undefined, { timeout: UI_TIMEOUT });
  const events = await pageEvents();
  expect(events.filter((e) => e.type === "tick").map((e) => e.lastEventId)).toEqual([expect.stringMatching(/^h-live:\d+$/), expect.stringMatching(/^h-live:\d+$/)]);
  expect(watched.problems).toEqual([]);
});

test("after a server restart it reconnects with its last event id and loses no message", async () => {
  await server.stop();
  // The shutdown reached the page as a clean end: disconnect 1001.
  await watched.page.waitForFunction(() => (window as any).events.some((e: PageEvent) => e.type === "disconnect"), undefined, { timeout: UI_TIMEOUT });
  expect((await pageEvents()).at(-1)).toMatchObject({ type: "disconnect", data: { code: 1001 } });
  server = await startServer(options());
  // Published on the new process before the page is back: only the history can bring them.
  for (const n of [3, 4]) expect((await emitTick(n)).body.recipients).toBe(0);
  await watched.page.evaluate(() => (window as any).sse.open());
  await watched.page.waitForFunction(() => (window as any).events.filter((e: PageEvent) => e.type === "connected").length === 2, undefined, { timeout: UI_TIMEOUT });
  await emitTick(5);
  await watched.page.waitForFunction(() => (window as any).events.filter((e: PageEvent) => e.type === "tick").length >= 5, undefined, { timeout: UI_TIMEOUT });
  expect(await ticks()).toEqual([1, 2, 3, 4, 5]);
  const second = (await pageEvents()).filter((e) => e.type === "connected")[1]!;
  expect(second.data.recovered).toEqual({ "h-live": true });
  expect(watched.problems).toEqual([]);
});

test("the SDK with transport sse uses the browser's EventSource: it receives an emit and comes back after an operator disconnect", async () => {
  // The SDK bundled for the browser, exposed as window.SwitchboardSdk.
  const entry = join(mkdtempSync(join(tmpdir(), "sb-sse-")), "entry.ts");
  writeFileSync(entry, `import * as sdk from ${JSON.stringify(join(import.meta.dir, "../../shared/client/index.ts"))};\n(globalThis as any).SwitchboardSdk = sdk;\n`);
  const built = await Bun.build({ entrypoints: [entry], format: "iife", target: "browser" });
  rmSync(dirname(entry), { recursive: true, force: true });
  expect(built.success).toBe(true);
  await watched.page.addScriptTag({ content: await built.outputs[0]!.text() });
  const token = await server.token({ sub: "sdk-browser" });
  const clientId = await watched.page.evaluate(async (jwt) => {
    const w = window as any;
    // Counting constructions shows that the SDK took the browser's EventSource, not fetch.
    const Native = EventSource;
    w.sources = 0;
    w.EventSource = class extends Native {
      constructor(url: string) {
        super(url);
        w.sources += 1;
      }
    };
    w.sdkTicks = [];
    const c = w.SwitchboardSdk.createClient({ url: `${location.origin}/sse`, transport: "sse", token: jwt, rooms: ["h-live"], reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
    c.on("tick", (data: { n: number }) => w.sdkTicks.push(data.n));
    w.sdk = c;
    const log: unknown[] = [];
    c.on("close", (e: unknown) => log.push(e));
    return Promise.race([c.connect().then((d: { id: string }) => d.id), new Promise((r) => setTimeout(() => r(JSON.stringify(log)), 5000))]);
  }, token);
  expect(clientId, `connected (SDK log: ${String(clientId).slice(0, 300)})`).toMatch(/^[0-9a-f-]{36}$/);
  await emitTick(6);
  await watched.page.waitForFunction(() => (window as any).sdkTicks.includes(6), undefined, { timeout: UI_TIMEOUT });
  expect((await api(server, "DELETE", `/api/clients/${clientId}`)).status).toBe(200);
  await watched.page.waitForFunction((old) => (window as any).sdk.state === "connected" && (window as any).sdk.id !== old, clientId, { timeout: UI_TIMEOUT });
  await emitTick(7);
  await watched.page.waitForFunction(() => (window as any).sdkTicks.includes(7), undefined, { timeout: UI_TIMEOUT });
  expect(await watched.page.evaluate(() => (window as any).sdkTicks)).toEqual([6, 7]);
  expect(await watched.page.evaluate(() => (window as any).sources)).toBe(2);
  await watched.page.evaluate(() => (window as any).sdk.close());
  expect(watched.problems).toEqual([]);
});

test("the dashboard's Clients view shows an SSE client with an SSE transport badge beside WebSocket ones", async () => {
  await ensureFreshDashboard();
  const ws = await server.client({ sub: "ws-user" });
  const sse = await TestSseStream.connect(server.http, await server.token({ sub: "sse-user" }));
  const admin = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  await showView(admin.page, "Clients");
  const row = (id: string) => admin.page.locator(`tr[data-client-id="${id}"] [data-transport]`);
  await row(sse.connected!.data.id).waitFor({ timeout: UI_TIMEOUT });
  expect(await row(sse.connected!.data.id).getAttribute("data-transport")).toBe("sse");
  expect(await row(sse.connected!.data.id).textContent()).toBe("SSE");
  expect(await row(ws.id).getAttribute("data-transport")).toBe("ws");
  expect(admin.problems).toEqual([]);
  await admin.page.context().close();
  sse.close();
  ws.close();
});
