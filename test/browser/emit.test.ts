/**
 * Emitting from the dashboard in Chromium: JSON validation, a dry run that shows the recipient
 * count and sends nothing, then a real send that a real WebSocket client receives and that
 * appears in the sent log; and emitting to a room from the Rooms view.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT, type WatchedPage } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let server: TestServer;
let browser: Browser;
let inRoom: TestClient;
let outside: TestClient;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"] });
  browser = await launchChromium();
  inRoom = await server.client({ sub: "alice" });
  await inRoom.request("join", { rooms: ["lobby"] });
  outside = await server.client({ sub: "carol" });
  watched = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  page = watched.page;
});

afterAll(async () => {
  inRoom?.close();
  outside?.close();
  await browser?.close();
  await server?.stop();
});

test("before anything is sent the Sent log says so instead of showing an empty table", async () => {
  await showView(page, "Emit");
  const log = page.getByRole("region", { name: "Sent log" });
  await log.getByText("Nothing has been sent yet.").waitFor({ timeout: UI_TIMEOUT });
  expect(await log.locator("table").count()).toBe(0);
});

test("invalid JSON data is flagged and disables sending until it is fixed", async () => {
  await showView(page, "Emit");
  const form = page.getByRole("form", { name: "Emit an event" });
  await form.getByLabel("Event name").fill("news");
  await form.getByLabel("Data (JSON)").fill('{"text": ');
  await form.getByText(/^Invalid JSON/).waitFor({ timeout: UI_TIMEOUT });
  expect(await form.getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
  await form.getByLabel("Data (JSON)").fill('{"text": "hello lobby"}');
  await form.getByText("Valid JSON.").waitFor({ timeout: UI_TIMEOUT });
  expect(await form.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
});

test("a dry run to a room shows the recipient count and sends nothing; Send delivers it to the room's client and logs it", async () => {
  const form = page.getByRole("form", { name: "Emit an event" });
  await form.getByLabel("Room", { exact: true }).check();
  await form.getByLabel("Room name").fill("lobby");
  await form.getByRole("button", { name: "Dry run" }).click();
  await form.getByText("Dry run: would reach 1 client (room lobby). Nothing was sent.").waitFor({ timeout: UI_TIMEOUT });
  await inRoom.expectNone((f) => f.event === "news", 300);

  await form.getByLabel("Event name").press("Enter");
  await form.getByText("Sent to 1 client (room lobby).").waitFor({ timeout: UI_TIMEOUT });
  const frame = await inRoom.waitForEvent("news", UI_TIMEOUT);
  expect(frame.data).toEqual({ text: "hello lobby" });
  await outside.expectNone((f) => f.event === "news", 200);

  const log = page.getByRole("region", { name: "Sent log" });
  await log.locator("tr", { hasText: "room lobby" }).filter({ hasText: "news" }).waitFor({ timeout: UI_TIMEOUT });
});

test("a broadcast dry run counts every authenticated client", async () => {
  const form = page.getByRole("form", { name: "Emit an event" });
  await form.getByLabel("Broadcast").check();
  await form.getByRole("button", { name: "Dry run" }).click();
  await form.getByText("Dry run: would reach 2 clients (everyone). Nothing was sent.").waitFor({ timeout: UI_TIMEOUT });
});

test("the Rooms view lists the room with its size and emits to it", async () => {
  await showView(page, "Rooms");
  const lobby = page.locator('tr[data-room="lobby"]');
  await lobby.waitFor({ timeout: UI_TIMEOUT });
  expect(await lobby.innerText()).toContain("1");
  await lobby.getByRole("button").click();
  await page.getByText("1 member", { exact: true }).waitFor({ timeout: UI_TIMEOUT });
  const form = page.getByRole("form", { name: "Emit an event" });
  await form.getByLabel("Event name").fill("room-note");
  await form.getByRole("button", { name: "Send" }).click();
  await form.getByText("Sent to 1 client (room lobby).").waitFor({ timeout: UI_TIMEOUT });
  expect((await inRoom.waitForEvent("room-note", UI_TIMEOUT)).data).toEqual({ text: "hello" });
  expect(watched.problems).toEqual([]);
});
