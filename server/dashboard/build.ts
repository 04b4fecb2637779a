/**
 * @module server/dashboard/build
 * `npm start` builds the dashboard when `dist/dashboard` is missing (a fresh clone), so that
 * the first start needs no extra command. A failed build is logged; the server still starts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/types.ts";

export const PROJECT_ROOT = join(import.meta.dir, "..", "..");
export const DASHBOARD_DIR = join(PROJECT_ROOT, "dist", "dashboard");

export async function ensureDashboardBuilt(log: Logger): Promise<void> {
  if (existsSync(join(DASHBOARD_DIR, "index.html"))) return;
  if (!existsSync(join(PROJECT_ROOT, "vite.config.ts"))) return;
  log.info({}, "building the dashboard (first start)");
  const proc = Bun.spawn([process.execPath, "x", "--bun", "vite", "build", "--logLevel", "warn"], { cwd: PROJECT_ROOT, stdout: "ignore", stderr: "pipe" });
  const code = await proc.exited;
  if (code !== 0) log.warn({ code, stderr: (await new Response(proc.stderr).text()).slice(0, 2000) }, "dashboard build failed; /admin/ will answer 404");
}
