/**
 * The dashboard with many clients, in Chromium: the Clients table renders one server page (50
 * rows) whatever the total, pages move by cursor, and when the event rate passes the server's
 * threshold the Live view says the stream is aggregated and shows the per-second counts, while
 * the page keeps answering clicks.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT, type WatchedPage } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

const CLIENTS = 600;
let server: TestServer;
let browser: Browser;
let clients: TestClient[] = [];
let watched: WatchedPage;
let page: Page;

async function connectMany(n: number): Promise<TestClient[]> {
  const token = await server.token({ sub: "load" });
  const out: TestClient[] = [];
  for (let i = 0; i < n; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => TestClient.authenticated(server.ws, token)))));
  }
  return out;
}

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"], adminAggregateAbove: 50, maxConnectionsPerUser: 0 });
  browser = await launchChromium();
  watched = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  page = watched.page;
});

afterAll(async () => {
  for (const c of clients) c.close();
  await browser?.close();
  await server?.stop();
});

test("a burst of connections switches the live view to aggregated counts and the page still answers clicks", async () => {
  await showView(page, "Live events");
  clients = await connectMany(CLIENTS);
  const notice = page.locator("[data-aggregated]");
  await notice.waitFor({ timeout: UI_TIMEOUT });
  expect(await notice.innerText()).toContain("Aggregated mode");
  await notice.getByText(/client:connected: [1-9][\d,]*\/s/).waitFor({ timeout: UI_TIMEOUT });
  expect(await page.locator(".sb-log li").count()).toBeLessThanOrEqual(500);

  const started = Date.now();
  await showView(page, "Clients");
  await page.locator("tr[data-client-id]").first().waitFor({ timeout: UI_TIMEOUT });
  expect(Date.now() - started).toBeLessThan(5000);
});

test("the Clients table shows one server page of 50 rows and pages by cursor", async () => {
  await page.getByText(`1–50 of ${CLIENTS} clients`).waitFor({ timeout: UI_TIMEOUT });
  expect(await page.locator("tr[data-client-id]").count()).toBe(50);
  const firstPage = await page.locator("tr[data-client-id]").first().getAttribute("data-client-id");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText(`51–100 of ${CLIENTS} clients`).waitFor({ timeout: UI_TIMEOUT });
  expect(await page.locator("tr[data-client-id]").count()).toBe(50);
  expect(await page.locator(`tr[data-client-id="${firstPage}"]`).count()).toBe(0);
  await page.getByRole("button", { name: "Previous" }).click();
  await page.locator(`tr[data-client-id="${firstPage}"]`).waitFor({ timeout: UI_TIMEOUT });
  expect(watched.problems).toEqual([]);
});
