/**
 * Issue 20 §4 in Chromium: on a 390×844 phone every view fits the viewport. Nothing may stick
 * out to the right (the page never scrolls sideways), except content inside a box that scrolls
 * horizontally itself (a table's wrapper) and that box then fits.
 *
 * "Scrolls horizontally", precisely: an ancestor whose computed `overflow-x` is `auto` or
 * `scroll` and whose content is wider than its box (`scrollWidth > clientWidth`). Such a box must
 * itself fit (it is checked like every other element). `overflow-x: hidden` is no exemption:
 * content it clips is content cut off. Elements that are not rendered (no box: `display: none`,
 * zero width and height) are not measured.
 *
 * On top of that, the dashboard's own tables must show every column on a phone without sideways
 * scrolling (their rows stack into cards, or their cells wrap): a table whose wrapper has to
 * scroll hides columns past the right edge, which is what "cut off" meant in the issue.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView, TEST_TIMEOUT, UI_TIMEOUT, type WatchedPage } from "./harness.ts";

setDefaultTimeout(TEST_TIMEOUT);

const PHONE = { width: 390, height: 844 };

let server: TestServer;
let browser: Browser;
let member: TestClient;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  await ensureFreshDashboard();
  server = await startServer({ allowedRooms: ["*"], historyRooms: ["news"] });
  browser = await launchChromium();
  // Long names and ids make the widest rows a user can meet.
  member = await server.client({ sub: "a-user-with-a-rather-long-identifier@example.com" });
  await member.request("join", { rooms: ["news", "a-room-with-a-long-name-for-a-narrow-screen", "lobby"] });
  await server.sb.toRoom("news", "headline", { title: "A long headline that does not fit on one line of a phone screen at all", n: 1 });
  watched = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN, PHONE);
  page = watched.page;
});

afterAll(async () => {
  member?.close();
  await browser?.close();
  await server?.stop();
});

interface Overflow {
  page: { scrollWidth: number; innerWidth: number };
  /** Elements whose right edge is past the viewport and that no horizontal scroller holds. */
  outside: string[];
  /** Dashboard tables whose wrapper scrolls sideways to show all columns. */
  scrollingTables: string[];
}

/** Measures the page as laid out now; see the module comment for what counts as overflow. */
function measureOverflow(p: Page): Promise<Overflow> {
  return p.evaluate(() => {
    const viewport = window.innerWidth;
    const scrollsSideways = (el: Element) => {
      const overflowX = getComputedStyle(el).overflowX;
      return (overflowX === "auto" || overflowX === "scroll") && el.scrollWidth > el.clientWidth;
    };
    const insideScroller = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) if (scrollsSideways(a)) return true;
      return false;
    };
    const describe = (el: Element) => {
      const r = el.getBoundingClientRect();
      const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
      return `${el.tagName.toLowerCase()}${cls} right=${Math.round(r.right)} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
    };
    const outside: string[] = [];
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > viewport + 0.5 && !insideScroller(el)) outside.push(describe(el));
    }
    const scrollingTables = [...document.querySelectorAll(".sb-table-wrap")].filter((w) => w.scrollWidth > w.clientWidth).map(describe);
    return { page: { scrollWidth: document.documentElement.scrollWidth, innerWidth: viewport }, outside, scrollingTables };
  });
}

async function expectFits(p: Page, where: string): Promise<void> {
  const m = await measureOverflow(p);
  expect(m.page.innerWidth).toBe(PHONE.width);
  expect({ where, ...m }).toEqual({ where, page: { scrollWidth: PHONE.width, innerWidth: PHONE.width }, outside: [], scrollingTables: [] });
}

test("Overview with its Instances table fits a 390 px phone", async () => {
  await showView(page, "Overview");
  await page.getByRole("region", { name: "Overview" }).locator("tbody tr").first().waitFor({ timeout: UI_TIMEOUT });
  await expectFits(page, "Overview");
});

test("Clients, and a client's detail panel, fit a 390 px phone", async () => {
  await showView(page, "Clients");
  await page.locator(`tr[data-client-id="${member.id}"]`).waitFor({ timeout: UI_TIMEOUT });
  await expectFits(page, "Clients");
  await page.locator(`tr[data-client-id="${member.id}"]`).getByRole("button").click();
  await page.getByRole("dialog").getByText(member.id).waitFor({ timeout: UI_TIMEOUT });
  await expectFits(page, "Client detail");
  await page.keyboard.press("Escape");
  await page.getByRole("dialog").waitFor({ state: "detached", timeout: UI_TIMEOUT });
});

test("Rooms, with a history room selected, fits a 390 px phone", async () => {
  await showView(page, "Rooms");
  await page.locator('tr[data-room="news"]').getByRole("button").click();
  await page.getByLabel("History of news").locator("li").first().waitFor({ timeout: UI_TIMEOUT });
  await expectFits(page, "Rooms");
});

test("Emit with an entry in the Sent log fits a 390 px phone", async () => {
  await showView(page, "Emit");
  const form = page.getByRole("form", { name: "Emit an event" });
  await form.getByLabel("Room", { exact: true }).check();
  await form.getByLabel("Room name").fill("a-room-with-a-long-name-for-a-narrow-screen");
  await form.getByLabel("Event name").fill("a-rather-long-event-name");
  await form.getByRole("button", { name: "Send" }).click();
  await page.getByRole("region", { name: "Sent log" }).locator("tbody tr").first().waitFor({ timeout: UI_TIMEOUT });
  await expectFits(page, "Emit");
});

test("Live events with entries in the log fits a 390 px phone", async () => {
  await showView(page, "Live events");
  const late = await server.client({ sub: "another-user-with-a-long-name" });
  await late.request("join", { rooms: ["a-room-with-a-long-name-for-a-narrow-screen"] });
  await page.locator('.sb-log li[data-event="room:joined"]', { hasText: late.id }).last().waitFor({ timeout: UI_TIMEOUT });
  late.close();
  await expectFits(page, "Live events");
  expect(watched.problems).toEqual([]);
});
