/**
 * The Overview's Webhooks panel in real Chromium: per receiver delivered, failed, pending, last
 * success and last error, and no panel at all when webhooks are not configured.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { freePort } from "../helpers/redis.ts";
import { startServer, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, TEST_TIMEOUT, UI_TIMEOUT } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

const SECRET = "webhook-secret-0123456789";
let browser: Browser;
let receiver: WebhookReceiver;
let withHooks: TestServer;
let without: TestServer;
let client: TestClient;
let deadUrl: string;

beforeAll(async () => {
  await ensureFreshDashboard();
  receiver = new WebhookReceiver({ secret: SECRET }).start();
  deadUrl = `http://127.0.0.1:${await freePort()}/down`;
  withHooks = await startServer({ webhookUrls: [receiver.url, deadUrl], webhookSecret: SECRET, webhookBatchMs: 10, webhookTimeoutMs: 300 });
  without = await startServer();
  browser = await launchChromium();
  client = await withHooks.client({ sub: "alice" });
  await receiver.waitFor((r) => r.named("client.connected").length === 1, 5000, "client.connected");
});

afterAll(async () => {
  client?.close();
  await browser?.close();
  await withHooks?.stop();
  await without?.stop();
  await receiver?.stop();
});

describe("dashboard: webhooks panel", () => {
  test("the Overview lists each receiver with delivered, pending, last success and last error", async () => {
    const { page, problems } = await openLoggedIn(browser, withHooks.http, "/admin/", VIEWER_TOKEN);
    const table = page.getByRole("table", { name: "Webhook receivers" });
    const good = table.getByRole("row").filter({ hasText: receiver.url });
    const dead = table.getByRole("row").filter({ hasText: deadUrl });
    await good.waitFor({ timeout: UI_TIMEOUT });
    await dead.waitFor({ timeout: UI_TIMEOUT });
    const cells = async (row: typeof good) => (await row.getByRole("cell").allTextContents()).map((t) => t.trim());
    const goodCells = await cells(good);
    expect(Number(goodCells[1])).toBeGreaterThan(0);
    expect(goodCells[5]).toBe("—");
    expect(goodCells[4]).not.toBe("never");
    const deadCells = await cells(dead);
    expect(deadCells.slice(1, 5)).toEqual(["0", "0", deadCells[3]!, "never"]);
    expect(Number(deadCells[3])).toBeGreaterThan(0);
    expect(deadCells[5]).not.toBe("—");
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test("without WEBHOOK_URLS the Overview shows no webhooks panel", async () => {
    const { page, problems } = await openLoggedIn(browser, without.http, "/admin/", VIEWER_TOKEN);
    await page.getByRole("heading", { name: "Instances" }).waitFor({ timeout: UI_TIMEOUT });
    // The panel asked and was told webhooks are off.
    await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => e.name.endsWith("/api/webhooks") && (e as PerformanceResourceTiming).responseEnd > 0), undefined, { timeout: UI_TIMEOUT });
    expect(await page.getByRole("heading", { name: "Webhooks" }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
