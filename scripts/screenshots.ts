/**
 * Regenerates the dashboard screenshots in docs/ (`npm run screenshots`): starts a server with
 * demo clients (plaintext and encrypted, several users and rooms), keeps some traffic going so
 * the charts have a shape, and takes one PNG per view at laptop size, plus a phone-size and a
 * dark-theme shot, in Debian's Chromium.
 *
 * SCREENSHOT_WARMUP_S (default 30) sets how long traffic runs before the first shot.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { createClientKeys } from "../shared/crypto.ts";
import { ensureFreshDashboard, launchChromium, openLoggedIn, showView } from "../test/browser/harness.ts";
import { ADMIN_TOKEN, api, startServer, type TestServer } from "../test/helpers/server.ts";
import type { TestClient } from "../test/helpers/ws-client.ts";

const DOCS = join(import.meta.dir, "..", "docs");
const WARMUP_S = Number(process.env.SCREENSHOT_WARMUP_S ?? 30);
const USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar"];
const ROOMS = ["lobby", "support", "orders", "team-eu", "team-us", "alerts"];

/** Two demo clients in five have an end-to-end encrypted session. */
const isEncrypted = (i: number) => i % 5 < 2;

async function connectDemoClients(server: TestServer, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let i = 0; i < count; i++) {
    const user = USERS[i % USERS.length]!;
    const meta = { plan: i % 3 === 0 ? "pro" : "free", region: i % 2 ? "eu-west" : "us-east", app: "web 4.2" };
    const extra = isEncrypted(i) ? { publicKey: (await createClientKeys()).publicKey } : {};
    const client = await server.client({ sub: user, meta }, extra);
    // Joined through the REST API: an encrypted client's own frames would have to be sealed.
    await api(server, "POST", `/api/clients/${client.id}/rooms`, { rooms: [ROOMS[i % ROOMS.length]!, ...(i % 4 === 0 ? ["lobby"] : [])] });
    clients.push(client);
  }
  return clients;
}

/** Some traffic each second (client messages, room emits, a client coming and going) so the charts and the log move. */
function startTraffic(server: TestServer, all: TestClient[]): () => void {
  const clients = all.filter((_, i) => !isEncrypted(i));
  let tick = 0;
  let churn: TestClient | undefined;
  const timer = setInterval(() => {
    tick += 1;
    const burst = 3 + Math.round(4 + 3 * Math.sin(tick / 4));
    for (let i = 0; i < burst; i++) clients[(tick * 7 + i) % clients.length]!.send({ event: "typing", data: { at: Date.now() } });
    void api(server, "POST", "/api/emit", { to: { room: ROOMS[tick % ROOMS.length] }, event: "update", data: { tick } });
    if (tick % 3 === 0) {
      churn?.close();
      churn = undefined;
      void server.client({ sub: USERS[tick % USERS.length] }).then((c) => (churn = c));
    }
  }, 1000);
  return () => {
    clearInterval(timer);
    churn?.close();
  };
}

async function shoot(page: Page, name: string): Promise<void> {
  const path = join(DOCS, `dashboard-${name}.png`);
  await page.screenshot({ path, fullPage: false });
  console.log(`wrote ${path}`);
}

async function laptopShots(page: Page, encryptedId: string): Promise<void> {
  await showView(page, "Overview");
  await page.locator(".sb-chart canvas").first().waitFor();
  await shoot(page, "overview");

  await showView(page, "Clients");
  await page.locator(`tr[data-client-id="${encryptedId}"]`).getByRole("button").click();
  await page.getByRole("dialog").getByText("Metadata").waitFor();
  await shoot(page, "clients");
  await page.keyboard.press("Escape");

  await showView(page, "Rooms");
  await page.locator('tr[data-room="lobby"]').getByRole("button").click();
  await page.getByText(/\d+ members?/).first().waitFor();
  await shoot(page, "rooms");

  await showView(page, "Emit");
  const form = page.getByRole("form", { name: "Emit an event" });
  await form.getByLabel("Room", { exact: true }).check();
  await form.getByLabel("Room name").fill("support");
  await form.getByLabel("Event name").fill("announcement");
  await form.getByLabel("Data (JSON)").fill('{\n  "text": "Maintenance at 22:00 UTC",\n  "severity": "info"\n}');
  await form.getByRole("button", { name: "Dry run" }).click();
  await form.getByText(/^Dry run: would reach/).waitFor();
  await shoot(page, "emit");

  await showView(page, "Live events");
  await page.locator(".sb-log li").nth(5).waitFor();
  await shoot(page, "live");
}

async function main(): Promise<void> {
  await ensureFreshDashboard();
  const server = await startServer({ allowedRooms: ["*"], rateLimitPerSecond: 0 });
  const clients = await connectDemoClients(server, 48);
  const stopTraffic = startTraffic(server, clients);
  const browser = await launchChromium();
  try {
    const laptop = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN, { width: 1280, height: 800 });
    const dark = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN, { width: 1280, height: 800, colorScheme: "dark" });
    const phone = await openLoggedIn(browser, server.http, "/admin/", ADMIN_TOKEN, { width: 390, height: 844 });
    console.log(`warming up for ${WARMUP_S}s so the charts have some history…`);
    await Bun.sleep(WARMUP_S * 1000); // time is the subject here: the charts plot one sample a second
    const encrypted = clients.find((_, i) => isEncrypted(i))!;
    await laptopShots(laptop.page, encrypted.id);
    await dark.page.locator(".sb-chart canvas").first().waitFor();
    await shoot(dark.page, "overview-dark");
    await shoot(phone.page, "phone-overview");
    await showView(phone.page, "Clients");
    await phone.page.locator("tr[data-client-id]").first().waitFor();
    await shoot(phone.page, "phone-clients");
  } finally {
    stopTraffic();
    await browser.close();
    for (const c of clients) c.close();
    await server.stop();
  }
}

await main();
