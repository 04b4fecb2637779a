/**
 * @module bench/scenarios/dashboard
 * The dashboard where operators use it: open in a real Chromium, logged in, while N clients are
 * connected (10,000, capped by the open-file limit; 1,000 with --quick) and emits flow through
 * the REST API at a steady rate (1,000/s; 100/s with --quick) to a room of 100 of those clients.
 *
 * Each round measures three windows under the same load: no dashboard (the page on
 * about:blank, so its admin channel is closed), the Overview, and the Clients view. Per window:
 * the server's CPU (utime+stime from /proc, as % of one core) and, in the page, the intervals
 * between requestAnimationFrame callbacks and the long tasks (> 50 ms) the browser reports.
 * The Clients view must stay paginated: the number of client rows in the DOM is read in every
 * window and must stay bounded whatever N is.
 */
import { chromium, type Browser, type Page } from "playwright-core";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARD_DIR, ensureDashboardBuilt } from "../../server/dashboard/build.ts";
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { cpuMs } from "../lib/proc.ts";
import { publishAtRate } from "../lib/publish.ts";
import type { Check, ScenarioResult } from "../lib/report.ts";
import { fixed, median, percentile, spread } from "../lib/stats.ts";
import { ADMIN_TOKEN, SECRET, waitRoomSize } from "../lib/systems.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ROOM = "bench";
const ROOM_MEMBERS = 100;
/** More client rows than this in the DOM means the Clients view renders the whole list. */
const MAX_ROWS = 100;
const WINDOWS = ["none", "overview", "clients"] as const;
type WindowName = (typeof WINDOWS)[number];

interface Frames {
  intervals: number[];
  longTasks: number;
  longTaskMs: number;
  rows: number;
  domNodes: number;
}

interface Window {
  cpuPercent: number;
  emitsSent: number;
  emitsFailed: number;
  frames?: Frames;
}

/** Runs in the page: rAF intervals and long tasks over `ms`, then the DOM's size. */
async function sampleFrames(ms: number): Promise<Frames> {
  const intervals: number[] = [];
  let longTasks = 0;
  let longTaskMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      longTasks += 1;
      longTaskMs += e.duration;
    }
  });
  try {
    observer.observe({ type: "longtask" });
  } catch {
    // longtask entries are not supported: the rAF intervals still tell the frame time
  }
  await new Promise<void>((resolve) => {
    let last = performance.now();
    const end = last + ms;
    const tick = (t: number) => {
      intervals.push(t - last);
      last = t;
      if (t < end) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  observer.disconnect();
  return { intervals, longTasks, longTaskMs, rows: document.querySelectorAll("tr[data-client-id]").length, domNodes: document.getElementsByTagName("*").length };
}

async function prepareDashboard(ctx: BenchContext): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  const quiet = { debug() {}, info: (_: object, m?: string) => ctx.log(m ?? ""), warn: (o: object, m?: string) => ctx.log(`${m} ${JSON.stringify(o)}`), error() {} };
  await ensureDashboardBuilt(quiet);
  if (!existsSync(join(DASHBOARD_DIR, "index.html"))) throw new Error("the dashboard could not be built (npx vite build)");
}

async function showView(page: Page, name: "Overview" | "Clients"): Promise<void> {
  await page.getByRole("navigation", { name: "Views" }).getByRole("button", { name, exact: true }).click();
}

/** Puts the page in the state a window measures. */
async function enter(page: Page, origin: string, w: WindowName): Promise<void> {
  if (w === "none") return void (await page.goto("about:blank"));
  if (w === "overview") {
    await page.goto(`${origin}/admin/#token=${encodeURIComponent(ADMIN_TOKEN)}`);
    await page.locator(".sb-status-live").waitFor({ timeout: 30_000 });
    await showView(page, "Overview");
    return;
  }
  await showView(page, "Clients");
  await page.locator("tr[data-client-id]").first().waitFor({ timeout: 30_000 });
}

async function measureWindow(l: Loaded, page: Page, w: WindowName, rate: number, ms: number): Promise<Window> {
  const pid = l.system.server.pid;
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const [sent, frames] = await Promise.all([
    publishAtRate(l.system.restEmit!, ROOM, "tick", rate, ms),
    w === "none" ? Promise.resolve(undefined) : page.evaluate(sampleFrames, ms),
  ]);
  const cpuPercent = ((cpuMs(pid) - cpu0) / (performance.now() - t0)) * 100;
  return { cpuPercent, emitsSent: sent.sent, emitsFailed: sent.failed, frames };
}

async function connectClients(ctx: BenchContext, clients: number): Promise<Loaded> {
  const l = await startLoaded(ctx, "switchboard", { count: clients - ROOM_MEMBERS, workers: Math.ceil(clients / 2500) });
  try {
    const r = await l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: l.system.protocol, count: ROOM_MEMBERS, concurrency: 64, secret: SECRET, room: ROOM, timeoutMs: 30_000 });
    if (r.failed > 0) throw new Error(`${r.failed} of ${ROOM_MEMBERS} room members failed (${r.errors.join("; ")})`);
    if ((await waitRoomSize(l.system, ROOM, ROOM_MEMBERS)) < ROOM_MEMBERS) throw new Error(`fewer than ${ROOM_MEMBERS} clients joined "${ROOM}"`);
  } catch (err) {
    await l.stop();
    throw err;
  }
  return l;
}

export async function dashboard(ctx: BenchContext): Promise<ScenarioResult> {
  const clients = Math.min(ctx.quick ? 1000 : 10_000, ctx.fdLimit - 500);
  const rate = ctx.quick ? 100 : 1000;
  const rounds = 3;
  const windowMs = ctx.quick ? 2000 : 5000;
  await prepareDashboard(ctx);
  ctx.log(`dashboard: ${clients} clients, ${rate} REST emits/s`);
  const l = await connectClients(ctx, clients);
  let browser: Browser | undefined;
  const runs: Record<WindowName, Window[]> = { none: [], overview: [], clients: [] };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const origin = `http://127.0.0.1:${l.system.server.port}`;
    await publishAtRate(l.system.restEmit!, ROOM, "tick", rate, 1000); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (const w of WINDOWS) {
        ctx.log(`dashboard round ${r + 1}/${rounds}: ${w}`);
        await enter(page, origin, w);
        runs[w].push(await measureWindow(l, page, w, rate, windowMs));
      }
    }
  } finally {
    await browser?.close();
    await l.stop();
  }
  return summarize(runs, clients, rate, rounds, windowMs);
}

const LABEL: Record<WindowName, string> = { none: "no dashboard open", overview: "dashboard: Overview", clients: "dashboard: Clients view" };

function summarize(runs: Record<WindowName, Window[]>, clients: number, rate: number, rounds: number, windowMs: number): ScenarioResult {
  const extra = (w: WindowName) => runs[w].map((x, i) => x.cpuPercent - runs.none[i]!.cpuPercent);
  const pct = (v: number) => `${v >= 0 ? "+" : ""}${fixed(v, 1)}`;
  const rows = WINDOWS.map((w) => {
    const all = runs[w].flatMap((x) => x.frames?.intervals ?? []);
    const f = runs[w].map((x) => x.frames);
    const has = f.every(Boolean);
    return [
      LABEL[w],
      fixed(median(runs[w].map((x) => x.cpuPercent)), 1),
      w === "none" ? "" : `${pct(median(extra(w)))} (${spread(extra(w), pct)})`,
      has ? fixed(percentile(all, 50), 1) : "",
      has ? fixed(percentile(all, 99), 1) : "",
      has ? fixed(percentile(all, 100), 1) : "",
      has ? String(f.reduce((n, x) => n + x!.longTasks, 0)) : "",
      has ? String(Math.max(...f.map((x) => x!.rows))) : "",
      String(runs[w].reduce((n, x) => n + x.emitsFailed, 0)),
    ];
  });
  const clientRows = Math.max(...runs.clients.map((x) => x.frames?.rows ?? 0));
  const checks: Check[] = [
    { target: `dashboard Clients view at ${clients.toLocaleString("en")} clients stays paginated: ≤ ${MAX_ROWS} client rows in the DOM`, measured: `${clientRows} rows`, pass: clientRows > 0 && clientRows <= MAX_ROWS },
  ];
  return {
    id: "dashboard",
    title: `Dashboard open: ${clients.toLocaleString("en")} clients connected, ${rate.toLocaleString("en")} REST emits/s`,
    table: { columns: ["window", "server CPU %", "extra vs none (min–max)", "frame p50 ms", "frame p99 ms", "frame max ms", "long tasks", "client rows in DOM", "emits failed"], rows },
    checks,
    notes: [
      `${rounds} rounds × 3 windows of ${windowMs / 1000} s under the same load (emits to a room of ${ROOM_MEMBERS} clients); server CPU in % of one core; extra: per-round difference to the no-dashboard window of the same round, median (min–max)`,
      "frame times: intervals between requestAnimationFrame callbacks in headless Chromium (16.7 ms is a full 60 Hz frame rate); long tasks: PerformanceObserver longtask entries (> 50 ms)",
    ],
    data: { clients, rate, windowMs, runs },
  };
}
