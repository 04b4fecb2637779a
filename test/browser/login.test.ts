/**
 * Logging in and out of the dashboard in real Chromium: by the token form, by a `#token=`
 * fragment, with a wrong token, and as a viewer who must be offered no action that changes
 * anything.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser } from "playwright-core";
import { ADMIN_TOKEN, EMIT_TOKEN, startServer, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, openPage, showView, TEST_TIMEOUT, UI_TIMEOUT } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

let server: TestServer;
let browser: Browser;
let client: TestClient;

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"] });
  browser = await launchChromium();
  client = await server.client({ sub: "alice" });
  await client.request("join", { rooms: ["lobby"] });
});

afterAll(async () => {
  client?.close();
  await browser?.close();
  await server?.stop();
});

describe("login", () => {
  test("the token form logs in, the token survives a reload of the tab, and logout forgets it", async () => {
    const { page, problems } = await openPage(browser, server.http);
    await page.goto(`${server.http}/admin/`);
    await page.getByLabel("Token").fill(ADMIN_TOKEN);
    await page.getByLabel("Token").press("Enter");
    await page.locator(".sb-status-live").waitFor({ timeout: UI_TIMEOUT });
    await page.getByText("admin", { exact: true }).waitFor({ timeout: UI_TIMEOUT });

    await page.reload();
    await page.locator(".sb-status-live").waitFor({ timeout: UI_TIMEOUT });

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You are logged out.").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.evaluate(() => sessionStorage.getItem("switchboard:token"))).toBeNull();
    await page.reload();
    await page.getByLabel("Token").waitFor({ timeout: UI_TIMEOUT });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test("a #token= fragment logs in directly and is removed from the address bar", async () => {
    const { page, problems } = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN);
    expect(page.url()).toBe(`${server.http}/admin/`);
    expect(await page.evaluate(() => location.hash)).toBe("");
    await page.locator(".sb-stat", { hasText: "Connections" }).first().waitFor({ timeout: UI_TIMEOUT });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test("a wrong token is refused with a message saying it is invalid or expired", async () => {
    const { page } = await openPage(browser, server.http);
    await page.goto(`${server.http}/admin/`);
    await page.getByLabel("Token").fill("not-a-real-token-0123456789");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "That token is invalid or has expired." }).waitFor({ timeout: UI_TIMEOUT });
    expect(await page.evaluate(() => sessionStorage.getItem("switchboard:token"))).toBeNull();
    await page.context().close();
  });

  test("a wrong #token= fragment shows the same message instead of an empty dashboard", async () => {
    const { page } = await openPage(browser, server.http);
    await page.goto(`${server.http}/admin/#token=wrong-token-0123456789abc`);
    await page.getByRole("alert").filter({ hasText: "invalid or has expired" }).waitFor({ timeout: UI_TIMEOUT });
    expect(page.url()).toBe(`${server.http}/admin/`);
    await page.context().close();
  });

  test("an emitter token is refused with a message naming the roles that may log in", async () => {
    const { page } = await openPage(browser, server.http);
    await page.goto(`${server.http}/admin/`);
    await page.getByLabel("Token").fill(EMIT_TOKEN);
    await page.getByLabel("Token").press("Enter");
    await page.getByRole("alert").filter({ hasText: "Use an admin or viewer token" }).waitFor({ timeout: UI_TIMEOUT });
    await page.context().close();
  });
});

describe("expiry", () => {
  test("when a JWT admin token expires during the session the dashboard returns to the login form and says why", async () => {
    // Long enough to log in on a loaded machine (with 3 s the token could expire before the
    // live channel was up), short enough to expire during the session.
    const shortLived = await server.token({ sub: "operator", role: "admin" }, "8s");
    const { page } = await openLoggedIn(browser, server.http, "/admin/", shortLived);
    // The Overview refetches the instances every 5 s: the first request after expiry gets a 401.
    await page.getByRole("alert").filter({ hasText: "Your token was rejected: it has expired or was revoked." }).waitFor({ timeout: 20_000 });
    await page.getByLabel("Token").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.evaluate(() => sessionStorage.getItem("switchboard:token"))).toBeNull();
    await page.context().close();
  });
});

describe("viewer", () => {
  test("a viewer sees clients, rooms and the sent log but is offered no disconnect, join/leave or emit", async () => {
    const { page, problems } = await openLoggedIn(browser, server.http, "/admin/", VIEWER_TOKEN);
    await page.getByText("viewer · read-only").waitFor({ timeout: UI_TIMEOUT });

    await showView(page, "Clients");
    await page.locator(`tr[data-client-id="${client.id}"] button`).click();
    const panel = page.getByRole("dialog");
    await panel.getByText("lobby", { exact: true }).waitFor({ timeout: UI_TIMEOUT });
    expect(await panel.getByRole("button", { name: /Disconnect/ }).count()).toBe(0);
    expect(await panel.getByRole("button", { name: /Leave|Join/ }).count()).toBe(0);

    await showView(page, "Rooms");
    await page.locator('tr[data-room="lobby"] button').click();
    await page.getByText("1 member").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.getByRole("button", { name: /Send|Dry run/ }).count()).toBe(0);

    await showView(page, "Emit");
    await page.getByText("You are logged in with a viewer token").waitFor({ timeout: UI_TIMEOUT });
    expect(await page.getByRole("button", { name: /Send|Dry run/ }).count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("theme", () => {
  test("the dashboard follows the system's dark preference, and the toggle switches and remembers the theme", async () => {
    const { page } = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN, { colorScheme: "dark" });
    const root = page.locator(".sb");
    expect(await root.getAttribute("data-theme")).toBe("dark");
    await page.getByRole("button", { name: "Switch to the light theme" }).click();
    expect(await root.getAttribute("data-theme")).toBe("light");
    await page.reload();
    await page.locator(".sb-status-live").waitFor({ timeout: UI_TIMEOUT });
    expect(await root.getAttribute("data-theme")).toBe("light");
    await page.context().close();
  });
});
