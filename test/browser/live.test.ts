/**
 * The Live events view in Chromium: a client's connect and disconnect appear in the stream,
 * filters by type hide what is unchecked, and Pause freezes what is shown.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT, type WatchedPage } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let server: TestServer;
let browser: Browser;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"] });
  browser = await launchChromium();
  watched = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  page = watched.page;
  await showView(page, "Live events");
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const entry = (event: string, text: string) => page.locator(`.sb-log li[data-event="${event}"]`, { hasText: text });

test("a client's connect, authentication, room join and disconnect appear in the live log", async () => {
  const client = await server.client({ sub: "dave" });
  await client.request("join", { rooms: ["lobby"] });
  await entry("client:connected", client.id).waitFor({ timeout: UI_TIMEOUT });
  await entry("client:authenticated", `${client.id} authenticated as dave`).waitFor({ timeout: UI_TIMEOUT });
  await entry("room:joined", `${client.id} joined lobby`).waitFor({ timeout: UI_TIMEOUT });
  client.close();
  await entry("client:disconnected", `${client.id} disconnected`).waitFor({ timeout: UI_TIMEOUT });
});

test("unchecking an event type hides those events", async () => {
  await page.getByLabel("client:connected").uncheck();
  await page.locator('.sb-log li[data-event="client:connected"]').first().waitFor({ state: "detached", timeout: UI_TIMEOUT });
  expect(await page.locator('.sb-log li[data-event="client:disconnected"]').count()).toBeGreaterThan(0);
  await page.getByLabel("client:connected").check();
});

test("Pause freezes the log and counts what arrives meanwhile; Resume shows it", async () => {
  await page.getByRole("button", { name: "Pause" }).click();
  const client = await server.client({ sub: "erin" });
  await page.getByText(/Paused: [1-9]\d* new events not shown/).waitFor({ timeout: UI_TIMEOUT });
  expect(await entry("client:connected", client.id).count()).toBe(0);
  await page.getByRole("button", { name: "Resume" }).click();
  await entry("client:connected", client.id).waitFor({ timeout: UI_TIMEOUT });
  client.close();
  expect(watched.problems).toEqual([]);
});
