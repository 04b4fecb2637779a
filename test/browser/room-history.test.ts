/**
 * Issue 10 item 4 in Chromium: the Rooms view shows a history room's kept messages with their
 * seq. Issue 20 §4: it asks for history only for rooms the server flags `history: true`, so a
 * room without history costs no 404 and no console error.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let server: TestServer;
let browser: Browser;
let member: TestClient;

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"], historyRooms: ["news"] });
  browser = await launchChromium();
  member = await server.client({ sub: "reader" });
  await member.request("join", { rooms: ["news", "chatter"] });
  for (let i = 1; i <= 3; i++) await server.sb.toRoom("news", "headline", { n: i });
});

afterAll(async () => {
  member?.close();
  await browser?.close();
  await server?.stop();
});

test("selecting a history room lists its kept messages newest first; a room without history shows none and is never asked for it", async () => {
  const { page, problems } = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  const historyRequests: string[] = [];
  const failed: string[] = [];
  const consoleErrors: string[] = [];
  page.on("request", (r) => r.url().includes("/history") && historyRequests.push(new URL(r.url()).pathname));
  page.on("response", (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  await showView(page, "Rooms");
  await page.getByRole("button", { name: "news", exact: true }).click();
  const history = page.getByLabel("History of news");
  await history.waitFor({ timeout: UI_TIMEOUT });
  expect(await history.locator("li").evaluateAll((items) => items.map((li) => li.getAttribute("data-seq")))).toEqual(["3", "2", "1"]);
  expect(await history.textContent()).toContain('{"n":3}');

  // A history request would go out in the same render as the member list's request.
  const members = page.waitForResponse((r) => r.url().includes("/api/clients?") && r.url().includes("room=chatter"), { timeout: UI_TIMEOUT });
  await page.getByRole("button", { name: "chatter", exact: true }).click();
  await members;
  await page.getByLabel("Room chatter").getByText("1 member").waitFor({ timeout: UI_TIMEOUT });
  expect(await page.getByLabel(/^History of/).count()).toBe(0);
  await page.getByRole("button", { name: "news", exact: true }).click();
  await page.getByLabel("History of news").locator("li").first().waitFor({ timeout: UI_TIMEOUT });

  expect(historyRequests.length).toBeGreaterThan(0);
  expect(historyRequests.every((p) => p === "/api/rooms/news/history")).toBe(true);
  expect(failed).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(problems).toEqual([]);
});
