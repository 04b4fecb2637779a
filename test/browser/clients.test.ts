/**
 * The Clients view against a real server in Chromium: the encryption badge of a plaintext and
 * an encrypted client, filtering by room on the server, the detail panel (opened from the
 * keyboard or a click anywhere in the row; Escape closes it) and disconnecting a client from it,
 * which closes that socket with 4007.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { CloseCodes } from "../../shared/close-codes.ts";
import { createClientKeys } from "../../shared/crypto.ts";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT, type WatchedPage } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let server: TestServer;
let browser: Browser;
let plain: TestClient;
let secure: TestClient;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"] });
  browser = await launchChromium();
  plain = await server.client({ sub: "alice", meta: { plan: "pro" } });
  await plain.request("join", { rooms: ["lobby"] });
  const keys = await createClientKeys();
  secure = await server.client({ sub: "bob" }, { publicKey: keys.publicKey });
  watched = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
  page = watched.page;
  await showView(page, "Clients");
});

afterAll(async () => {
  plain?.close();
  secure?.close();
  await browser?.close();
  await server?.stop();
});

const row = (id: string) => page.locator(`tr[data-client-id="${id}"]`);

test("a plaintext and an encrypted client are listed with the right encryption badge", async () => {
  await row(plain.id).waitFor({ timeout: UI_TIMEOUT });
  await row(secure.id).waitFor({ timeout: UI_TIMEOUT });
  expect(await row(plain.id).locator("[data-encrypted]").innerText()).toContain("Plaintext");
  expect(await row(secure.id).locator("[data-encrypted]").innerText()).toContain("Encrypted");
  expect(await row(secure.id).innerText()).toContain("bob");
});

test("filtering by encryption and by room is done by the server and shows only the matching clients", async () => {
  await page.getByLabel("Encryption").selectOption("true");
  await row(plain.id).waitFor({ state: "detached", timeout: UI_TIMEOUT });
  await row(secure.id).waitFor({ timeout: UI_TIMEOUT });
  await page.getByRole("button", { name: "Reset" }).click();
  await row(plain.id).waitFor({ timeout: UI_TIMEOUT });

  const filtered = page.waitForRequest((r) => r.url().includes("/api/clients?") && r.url().includes("room=lobby"));
  await page.getByLabel("Room").fill("lobby");
  await page.getByLabel("Room").press("Enter");
  await filtered;
  await row(secure.id).waitFor({ state: "detached", timeout: UI_TIMEOUT });
  expect(await row(plain.id).isVisible()).toBe(true);
  await page.getByText("1–1 of 1 clients").waitFor({ timeout: UI_TIMEOUT });
  await page.getByRole("button", { name: "Reset" }).click();
  await row(secure.id).waitFor({ timeout: UI_TIMEOUT });
});

test("the detail panel opens from the keyboard, takes focus, shows rooms and metadata, and Escape closes it and gives focus back", async () => {
  const opener = row(plain.id).getByRole("button");
  await opener.focus();
  await page.keyboard.press("Enter");
  const panel = page.getByRole("dialog");
  await panel.getByText(plain.id).waitFor({ timeout: UI_TIMEOUT });
  await panel.getByText("lobby", { exact: true }).waitFor({ timeout: UI_TIMEOUT });
  await panel.getByText('"plan": "pro"').waitFor({ timeout: UI_TIMEOUT });
  expect(await panel.getByRole("heading", { name: "Client details" }).evaluate((h) => h === document.activeElement)).toBe(true);
  await page.keyboard.press("Escape");
  await panel.waitFor({ state: "detached", timeout: UI_TIMEOUT });
  expect(await opener.evaluate((b) => b === document.activeElement)).toBe(true);
});

test("joining a room on the client's behalf from the detail panel shows it in the client's rooms", async () => {
  await row(plain.id).getByRole("button").click();
  const panel = page.getByRole("dialog");
  await panel.getByLabel("Join rooms on its behalf").fill("support");
  await panel.getByLabel("Join rooms on its behalf").press("Enter");
  await panel.getByText("Joined support").waitFor({ timeout: UI_TIMEOUT });
  await panel.getByRole("button", { name: "Leave support" }).click();
  await panel.getByText("Left support").waitFor({ timeout: UI_TIMEOUT });
  await panel.getByRole("button", { name: "Close details (Escape)" }).click();
});

test("clicking anywhere in a client's row, not only its id, opens its details; a click that ends a text selection does not", async () => {
  const userCell = row(plain.id).locator("td").nth(1);
  await userCell.click();
  const panel = page.getByRole("dialog");
  await panel.getByText(plain.id).waitFor({ timeout: UI_TIMEOUT });
  expect(await row(plain.id).getAttribute("class")).toContain("sb-selected");
  await panel.getByRole("button", { name: "Close details (Escape)" }).click();
  await panel.waitFor({ state: "detached", timeout: UI_TIMEOUT });
  // Dragging across the user name selects it; the click that ends the drag must not open the panel.
  const box = (await userCell.boundingBox())!;
  await page.mouse.move(box.x + 4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  expect(await page.evaluate(() => document.getSelection()?.toString())).toContain("alice");
  // Preact renders on the next tick: after two frames an opened panel would be in the page.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  expect(await page.getByRole("dialog").count()).toBe(0);
  await page.evaluate(() => document.getSelection()?.removeAllRanges());
});

test("Disconnect in the detail panel closes that client's socket with 4007", async () => {
  await row(secure.id).getByRole("button").click();
  const panel = page.getByRole("dialog");
  await panel.getByRole("button", { name: "Disconnect", exact: true }).click();
  await panel.getByRole("button", { name: "Confirm disconnect" }).click();
  const closed = await secure.waitClosed(UI_TIMEOUT);
  expect(closed.code).toBe(CloseCodes.KICKED.code);
  await panel.getByText("This client is no longer connected.").waitFor({ timeout: UI_TIMEOUT });
  await row(secure.id).waitFor({ state: "detached", timeout: UI_TIMEOUT });
  expect(plain.isClosed).toBe(false);
  expect(watched.problems).toEqual([]);
});
