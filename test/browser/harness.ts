/**
 * Browser-test kit: a fresh dashboard build, Debian's Chromium driven by playwright-core, and a
 * page that records what a strict dashboard must never do (page errors, CSP violations,
 * requests to any other origin). Waits are on page conditions with timeouts, never sleeps.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { DASHBOARD_DIR, PROJECT_ROOT } from "../../server/dashboard/build.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Timeouts for waits on the page: generous for a loaded CI machine, short enough to fail fast. */
export const UI_TIMEOUT = 10_000;
export const TEST_TIMEOUT = 45_000;

/** Everything the build reads: a change to any of them makes dist/dashboard stale. */
const BUILD_INPUTS = ["dashboard", "vite.config.ts", "shared/admin.ts", "shared/close-codes.ts", "package-lock.json"];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function dashboardIsStale(): boolean {
  const index = join(DASHBOARD_DIR, "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return BUILD_INPUTS.some((p) => existsSync(join(PROJECT_ROOT, p)) && newestMtime(join(PROJECT_ROOT, p)) > built);
}

let building: Promise<void> | undefined;

/** Builds the dashboard once per test process, and only when its sources are newer than the build. */
export function ensureFreshDashboard(): Promise<void> {
  building ??= (async () => {
    if (!dashboardIsStale()) return;
    const proc = Bun.spawn([process.execPath, "x", "--bun", "vite", "build", "--logLevel", "warn"], { cwd: PROJECT_ROOT, stdout: "pipe", stderr: "pipe" });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`dashboard build failed (${code}): ${await new Response(proc.stderr).text()}`);
  })();
  return building;
}

/** Launches Debian's Chromium; fails (never skips) when it is missing, saying what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: the browser tests need the Debian package \`chromium\` (apt-get install -y chromium), or CHROMIUM_PATH set to a Chromium binary.`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface WatchedPage {
  page: Page;
  /** Page errors, CSP violations and requests to other origins seen so far. */
  problems: string[];
}

export async function openPage(browser: Browser, origin: string, options: { width?: number; height?: number; colorScheme?: "light" | "dark" } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, colorScheme: options.colorScheme ?? "light" });
  // Reported to the console so that violations of any directive end up in `problems`.
  await context.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) => console.error(`Refused by the Content Security Policy: ${e.violatedDirective} ${e.blockedURI}`)),
  );
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.protocol !== "data:" && url.origin !== origin && url.origin !== origin.replace(/^http/, "ws")) problems.push(`external request: ${r.url()}`);
  });
  return { page, problems };
}

/** Opens the dashboard at `url` logged in through a `#token=` fragment and waits for the live channel. */
export async function openLoggedIn(browser: Browser, origin: string, path: string, token: string, options?: Parameters<typeof openPage>[2]): Promise<WatchedPage> {
  const watched = await openPage(browser, origin, options);
  await watched.page.goto(`${origin}${path}#token=${encodeURIComponent(token)}`);
  await watched.page.locator(".sb-status-live").waitFor({ timeout: UI_TIMEOUT });
  return watched;
}

export async function showView(page: Page, name: "Overview" | "Clients" | "Rooms" | "Emit" | "Live events"): Promise<void> {
  await page.getByRole("navigation", { name: "Views" }).getByRole("button", { name, exact: true }).click();
}
