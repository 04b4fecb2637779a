/**
 * The HTTP surface (SPEC §2 ALLOWED_ORIGINS, §9, §11; issue 9): Origin enforcement on WebSocket
 * upgrades of the client and admin paths and on CORS, and the security headers of the dashboard
 * and of the REST API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARD_DIR, ensureDashboardBuilt } from "../../server/dashboard/build.ts";
import { silentLogger } from "../../server/core/types.ts";
import { RawWebSocket } from "../helpers/raw-ws.ts";
import { ADMIN_TOKEN, api, startServer, type TestServer } from "../helpers/server.ts";

const ALLOWED = "https://app.example.com";

let s: TestServer;

beforeAll(async () => {
  await ensureDashboardBuilt(silentLogger);
  s = await startServer({ allowedOrigins: [ALLOWED] });
});

afterAll(() => s?.stop());

/** The upgrade's HTTP status: 101 when Bun took the socket, else the refusal's. */
async function upgradeStatus(path: string, origin?: string): Promise<number> {
  try {
    const w = await RawWebSocket.open(s.port, path, origin === undefined ? {} : { origin });
    w.destroy();
    return 101;
  } catch (err) {
    const status = /HTTP\/1\.1 (\d{3})/.exec(String(err))?.[1];
    if (!status) throw err;
    return Number(status);
  }
}

const FOREIGN = ["https://evil.example.com", "null", "not a url", `${ALLOWED}/`, ALLOWED.toUpperCase(), `${ALLOWED}.evil.com`, "http://app.example.com", `${ALLOWED}:8443`, "file://", ""];

describe("Origin enforcement on upgrades", () => {
  test("client path: only the allowed origin (or none, for non-browser clients) upgrades; any other gets 403", async () => {
    expect(await upgradeStatus("/ws", ALLOWED)).toBe(101);
    expect(await upgradeStatus("/ws")).toBe(101);
    for (const origin of FOREIGN) expect(await upgradeStatus("/ws", origin), origin).toBe(403);
  });

  test("admin path: its own origin (the dashboard) and the allowed origin upgrade; any other, malformed included, gets 403", async () => {
    expect(await upgradeStatus("/admin/ws", `http://127.0.0.1:${s.port}`)).toBe(101);
    expect(await upgradeStatus("/admin/ws", ALLOWED)).toBe(101);
    for (const origin of [...FOREIGN, `http://127.0.0.1:${s.port + 1}`, `https://127.0.0.1:${s.port}.evil.com`]) {
      expect(await upgradeStatus("/admin/ws", origin), origin).toBe(403);
    }
  });

  test("CORS: the allowed origin is echoed; a foreign origin gets no Access-Control-Allow-Origin", async () => {
    const preflight = (origin: string) =>
      fetch(`${s.http}/api/stats`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization" } });
    expect((await preflight(ALLOWED)).headers.get("access-control-allow-origin")).toBe(ALLOWED);
    for (const origin of ["https://evil.example.com", "null"]) {
      const allowed = (await preflight(origin)).headers.get("access-control-allow-origin");
      expect(allowed === null || allowed === ALLOWED, `${origin} -> ${allowed}`).toBe(true);
    }
    const res = await fetch(`${s.http}/api/stats`, { headers: { origin: "https://evil.example.com", authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.headers.get("access-control-allow-origin")).not.toBe("https://evil.example.com");
  });
});

describe("security headers", () => {
  test("every dashboard answer (page, asset, config, 404, directory) carries CSP, nosniff, framing and referrer policies", async () => {
    const asset = readdirSync(join(DASHBOARD_DIR, "assets"))[0]!;
    for (const path of ["/admin/", "/admin/index.html", `/admin/assets/${asset}`, "/admin/config.json", "/admin/missing", "/admin/assets"]) {
      const res = await fetch(s.http + path);
      const csp = res.headers.get("content-security-policy") ?? "";
      for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'"]) expect(csp, `${path} ${directive}`).toContain(directive);
      expect(csp).not.toContain("unsafe-eval");
      expect(/script-src[^;]*unsafe-inline/.test(csp), path).toBe(false);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
  });

  test("REST answers, errors included, are never sniffed and never stored", async () => {
    const cases = [
      await api(s, "GET", "/api/stats"), await api(s, "GET", "/api/stats", undefined, null), await api(s, "GET", "/api/nope"),
      await api(s, "POST", "/api/emit", "{"), await api(s, "POST", "/api/emit", "x".repeat(1024 * 1024 + 1)), await api(s, "GET", "/api/health"),
    ];
    expect(cases.map((c) => c.status)).toEqual([200, 401, 404, 400, 413, 200]);
    for (const c of cases) {
      expect(c.headers.get("x-content-type-options")).toBe("nosniff");
      expect(c.headers.get("cache-control")).toBe("no-store");
      expect(c.headers.get("content-type")).toContain("application/json");
    }
  });
});
