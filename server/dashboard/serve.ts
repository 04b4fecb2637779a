/**
 * @module server/dashboard/serve
 * Serves the built dashboard under any mount path. Hashed assets get a year of immutable
 * caching; the page itself is revalidated every time. A strict Content-Security-Policy allows
 * nothing from outside this origin.
 *
 * The page finds the API and the live channel through `config.json`, served beside
 * `index.html` from the handler's options (a file, not an inline script, so the CSP stays
 * strict); a host may also answer `<mount>/config.json` itself before calling the handler.
 */
import { existsSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { ADMIN_WS_PATH } from "../../shared/admin.ts";
import { DASHBOARD_DIR } from "./build.ts";

export const DASHBOARD_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export interface DashboardHandlerOptions {
  /** Where the browser finds the REST API (a path on this origin, or a URL). @default "/api" */
  apiBase?: string;
  /** Where the browser finds the live admin channel (a path on this origin, or a ws(s) URL). @default "/admin/ws" */
  wsUrl?: string;
  /** The built dashboard. @default dist/dashboard */
  dir?: string;
}

/**
 * A handler for requests under `mountPath` (for example `/admin`). `/admin` redirects to
 * `/admin/` so relative asset URLs resolve.
 *
 * @example
 * const dashboard = createDashboardHandler("/ops", { apiBase: "/realtime" });
 * app.get("/ops/*", (c) => dashboard(c.req.raw));
 */
export function createDashboardHandler(mountPath: string, options: DashboardHandlerOptions | string = {}): (req: Request) => Response {
  const o = typeof options === "string" ? { dir: options } : options;
  const dir = o.dir ?? DASHBOARD_DIR;
  const config = JSON.stringify({ apiBase: o.apiBase ?? "/api", wsUrl: o.wsUrl ?? ADMIN_WS_PATH });
  const mount = mountPath.replace(/\/+$/, "");
  return (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === mount) return Response.redirect(`${mount}/`, 308);
    const rel = pathname.slice(mount.length + 1) || "index.html";
    if (rel === "config.json") return new Response(config, { headers: { ...SECURITY_HEADERS, "content-type": "application/json", "cache-control": "no-cache" } });
    const file = normalize(join(dir, rel));
    // Only regular files: a directory (`/admin/assets`) cannot be streamed and would be a 500.
    if (!file.startsWith(dir) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      if (!existsSync(join(dir, "index.html"))) return new Response("The dashboard is not built (run npm run build).", { status: 404, headers: SECURITY_HEADERS });
      return new Response("Not found", { status: 404, headers: SECURITY_HEADERS });
    }
    const immutable = rel.startsWith("assets/");
    return new Response(Bun.file(file), {
      headers: { ...SECURITY_HEADERS, "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" },
    });
  };
}
