/**
 * The dashboard across a server restart, in Chromium: when the server stops it says it is
 * reconnecting; when a new server comes up on the same port with the same tokens it
 * re-authenticates on its own, the banner goes away and current data shows again.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let first: TestServer | undefined;
let second: TestServer | undefined;
let browser: Browser;

beforeAll(async () => {
  await ensureFreshDashboard();
  first = await startServer({ allowedRooms: ["*"] });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await first?.stop();
  await second?.stop();
});

test("after a restart on the same port the reconnecting banner goes away and the new server's clients show", async () => {
  const server = first!;
  const before = await server.client({ sub: "before-restart" });
  const { page } = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  await showView(page, "Clients");
  await page.locator(`tr[data-client-id="${before.id}"]`).waitFor({ timeout: UI_TIMEOUT });

  await server.stop();
  const banner = page.getByRole("status").filter({ hasText: "Connection to the server lost" });
  await banner.waitFor({ timeout: UI_TIMEOUT });
  await page.locator(".sb-status-reconnecting").waitFor({ timeout: UI_TIMEOUT });

  second = await startServer({ allowedRooms: ["*"], port: server.port });
  const after = await second.client({ sub: "after-restart" });
  await banner.waitFor({ state: "detached", timeout: UI_TIMEOUT });
  await page.locator(".sb-status-live").waitFor({ timeout: UI_TIMEOUT });
  await page.locator(`tr[data-client-id="${after.id}"]`).waitFor({ timeout: UI_TIMEOUT });
  await page.locator(`tr[data-client-id="${before.id}"]`).waitFor({ state: "detached", timeout: UI_TIMEOUT });
  expect(await page.getByLabel("Token").count()).toBe(0);
  after.close();
});
