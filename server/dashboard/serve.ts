/**
 * @module server/dashboard/serve
 * Serves the built dashboard under any mount path. Hashed assets get a year of immutable
 * caching; the page itself is revalidated every time. A strict Content-Security-Policy allows
 * nothing from outside this origin.
 */
import { existsSync, statSync } from "node:fs";
import { join, normalize } from "node:path";
import { DASHBOARD_DIR } from "./build.ts";

export const DASHBOARD_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

/**
 * A handler for requests under `mountPath` (for example `/admin`). `/admin` redirects to
 * `/admin/` so relative asset URLs resolve.
 */
export function createDashboardHandler(mountPath: string, dir: string = DASHBOARD_DIR): (req: Request) => Response {
  const mount = mountPath.replace(/\/+$/, "");
  return (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === mount) return Response.redirect(`${mount}/`, 308);
    const rel = pathname.slice(mount.length + 1) || "index.html";
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
