/**
 * The README's "Embedding in an existing Hono app" snippet, extracted from README.md and run as
 * written (a Bun process in a temp project whose `switchboard` and `hono` resolve to this
 * repository): the dashboard's API base (from its config.json) answers /stats with the admin
 * token, and in Chromium the dashboard logs in, shows the Overview and gets no 404 from the API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { ensureFreshDashboard, launchChromium, openLoggedIn, TEST_TIMEOUT, UI_TIMEOUT } from "../browser/harness.ts";
import { ROOT } from "../helpers/instances.ts";
import { CliProcess } from "../helpers/process.ts";
import { freePort } from "../helpers/redis.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "../helpers/server.ts";
import { tempDir, until } from "./helpers.ts";

const HEADING = "### Embedding in an existing Hono app";

/** The first ```ts block under the heading. */
export function snippet(readme: string): string {
  const section = readme.slice(readme.indexOf(HEADING));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (readme.indexOf(HEADING) < 0 || !match) throw new Error(`README.md: no \`\`\`ts block under "${HEADING}"`);
  return match[1]!;
}

describe("README: Embedding in an existing Hono app, run as written", () => {
  let proc: CliProcess;
  let origin: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    await ensureFreshDashboard();
    const dir = tempDir("embed");
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules", "switchboard"));
    symlinkSync(join(ROOT, "node_modules", "hono"), join(dir, "node_modules", "hono"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    writeFileSync(join(dir, "server.ts"), snippet(readFileSync(join(ROOT, "README.md"), "utf8")));
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    proc = new CliProcess(Bun.spawn([process.execPath, join(dir, "server.ts")], {
      cwd: dir, stdout: "pipe", stderr: "pipe", stdin: "ignore",
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port), JWT_SECRET: TEST_SECRET, ADMIN_TOKEN, NODE_ENV: "production" },
    }));
    await until(async () => {
      if (proc.proc.exitCode !== null) throw new Error(`the snippet exited ${proc.proc.exitCode}: ${proc.stderr.join("\n")}`);
      return fetch(`${origin}/realtime/health`).then((r) => r.ok, () => false);
    }, 20_000, "the snippet's server");
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    proc?.proc.kill("SIGTERM");
    await proc?.exited;
  });

  test("the dashboard's API base answers /stats with the admin token", async () => {
    const page = await fetch(`${origin}/ops/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<div");
    const config = (await (await fetch(`${origin}/ops/config.json`)).json()) as { apiBase: string; wsUrl: string };
    const apiBase = new URL(config.apiBase, `${origin}/ops/`).href.replace(/\/+$/, "");
    const stats = await fetch(`${apiBase}/stats`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(stats.status).toBe(200);
    expect(((await stats.json()) as { instances: number }).instances).toBe(1);
    expect((await fetch(`${apiBase}/stats`)).status).toBe(401);
  });

  test("in Chromium the dashboard logs in over its live channel and shows the Overview, with no API 404", async () => {
    browser = await launchChromium();
    const failed: string[] = [];
    const watched = await openLoggedIn(browser, origin, "/ops/", ADMIN_TOKEN, undefined);
    watched.page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await watched.page.locator(".sb-stat", { hasText: "Connections" }).first().waitFor({ timeout: UI_TIMEOUT });
    await watched.page.reload();
    await watched.page.locator(".sb-status-live").waitFor({ timeout: UI_TIMEOUT });
    await watched.page.locator(".sb-stat", { hasText: "Connections" }).first().waitFor({ timeout: UI_TIMEOUT });
    expect(failed).toEqual([]);
    expect(watched.problems).toEqual([]);
  }, TEST_TIMEOUT);
});
