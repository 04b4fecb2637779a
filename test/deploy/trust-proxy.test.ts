/**
 * TRUST_PROXY (SPEC §16): X-Forwarded-For / -Proto / -Host are believed only from a trusted
 * proxy. Without it a client cannot set its own `remoteAddress` (as shown by GET /api/clients)
 * nor pass the admin channel's same-origin check by sending the headers itself.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { clientView, createProxyTrust, isSameOrigin, isTrustProxyEntry } from "../../server/transport/proxy.ts";
import { resolveOptions } from "../../server/config/options.ts";
import { settingsFromEnv } from "../../server/config/settings.ts";
import { api, startServer, TEST_SECRET, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";
import { signToken } from "../../server/auth/jwt.ts";

const SPOOF = { "x-forwarded-for": "203.0.113.7" };
// A dashboard served by a TLS proxy at https://ops.example: what the browser sends through it.
const PROXIED_ADMIN = { origin: "https://ops.example", "x-forwarded-host": "ops.example", "x-forwarded-proto": "https" };

async function clientWith(s: TestServer, headers: Record<string, string>): Promise<TestClient> {
  const c = await TestClient.connect(s.ws, { headers });
  c.send({ event: "authenticate", data: { type: "Bearer", token: await signToken(TEST_SECRET, { sub: "proxied" }, "1h") } });
  await c.waitForEvent("connected");
  return c;
}

async function remoteAddressOf(s: TestServer, id: string): Promise<string> {
  const res = await api(s, "GET", `/api/clients/${id}`);
  expect(res.status).toBe(200);
  return res.body.remoteAddress;
}

/** The status of an admin-channel upgrade with `headers` (101 = accepted). */
async function adminUpgrade(s: TestServer, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${s.http}/admin/ws`, { headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers } });
  await res.body?.cancel();
  return res.status;
}

describe("TRUST_PROXY over real sockets", () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  test("without it, a spoofed X-Forwarded-For does not change remoteAddress", async () => {
    s = await startServer({ allowedOrigins: ["https://app.example"] });
    const c = await clientWith(s, SPOOF);
    expect(await remoteAddressOf(s, c.id)).toBe("127.0.0.1");
    c.close();
  });

  test("without it, spoofed X-Forwarded-Host/-Proto do not pass the admin channel's same-origin check", async () => {
    s = await startServer({ allowedOrigins: ["https://app.example"] });
    expect(await adminUpgrade(s, { ...PROXIED_ADMIN, ...SPOOF })).toBe(403);
  });

  test("with TRUST_PROXY=loopback, X-Forwarded-For sets remoteAddress and the forwarded origin passes", async () => {
    s = await startServer({ allowedOrigins: ["https://app.example"], ...(settingsFromEnv({ TRUST_PROXY: "loopback" }) as object) });
    const c = await clientWith(s, SPOOF);
    expect(await remoteAddressOf(s, c.id)).toBe("203.0.113.7");
    c.close();
    expect(await adminUpgrade(s, PROXIED_ADMIN)).toBe(101);
    // The scheme the proxy states must match: an http:// origin is not the https:// page.
    expect(await adminUpgrade(s, { ...PROXIED_ADMIN, origin: "http://ops.example" })).toBe(403);
  });

  test("a trusted list that does not include the peer believes nothing", async () => {
    s = await startServer({ allowedOrigins: ["https://app.example"], trustProxy: ["10.0.0.0/8"] });
    const c = await clientWith(s, SPOOF);
    expect(await remoteAddressOf(s, c.id)).toBe("127.0.0.1");
    c.close();
    expect(await adminUpgrade(s, PROXIED_ADMIN)).toBe(403);
  });
});

describe("clientView", () => {
  const req = (headers: Record<string, string>) => new Request("http://127.0.0.1/ws", { headers: { host: "127.0.0.1:3000", ...headers } });
  const trust = createProxyTrust(["loopback", "10.0.0.0/8"]);

  test("reads X-Forwarded-For from the right, skipping trusted hops, so a forged left entry is not reached", () => {
    expect(clientView(req({ "x-forwarded-for": "6.6.6.6, 198.51.100.2, 10.1.1.1" }), "127.0.0.1", trust).address).toBe("198.51.100.2");
    expect(clientView(req({ "x-forwarded-for": "198.51.100.2" }), "::ffff:127.0.0.1", trust).address).toBe("198.51.100.2");
    expect(clientView(req({ "x-forwarded-for": "garbage" }), "127.0.0.1", trust).address).toBe("127.0.0.1");
    expect(clientView(req({ "x-forwarded-for": "198.51.100.2" }), "192.0.2.1", trust).address).toBe("192.0.2.1");
  });

  test("the same-origin check uses the forwarded host and scheme only from a trusted peer", () => {
    const h = { origin: "https://ops.example", "x-forwarded-host": "ops.example", "x-forwarded-proto": "https" };
    expect(isSameOrigin(h.origin, clientView(req(h), "127.0.0.1", trust))).toBe(true);
    expect(isSameOrigin(h.origin, clientView(req(h), "192.0.2.1", trust))).toBe(false);
    expect(isSameOrigin("http://127.0.0.1:3000", clientView(req({}), "192.0.2.1", undefined))).toBe(true);
    expect(isSameOrigin("not a url", clientView(req({}), "192.0.2.1", undefined))).toBe(false);
  });
});

describe("TRUST_PROXY values", () => {
  test("accepted: false, loopback, addresses and CIDRs", () => {
    expect(settingsFromEnv({ TRUST_PROXY: "loopback, 10.0.0.0/8,::1,fd00::/8,192.0.2.1" }).trustProxy).toEqual(["loopback", "10.0.0.0/8", "::1", "fd00::/8", "192.0.2.1"]);
    expect(createProxyTrust(settingsFromEnv({ TRUST_PROXY: "false" }).trustProxy as string[])).toBeUndefined();
    expect(resolveOptions({ nodeEnv: "test" }).trustProxy).toEqual([]);
  });

  for (const bad of ["yes", "10.0.0.0/33", "::1/129", "10.0.0.1/8/2", "10.0.0/8", "false,loopback", "example.com", "10.0.0.0/x"]) {
    test(`TRUST_PROXY=${JSON.stringify(bad)} is one line naming the variable`, () => {
      expect(() => settingsFromEnv({ TRUST_PROXY: bad })).toThrow(/^Invalid configuration: TRUST_PROXY=.*: expected false, or a comma-separated list/);
    });
  }

  test("the entry check on its own", () => {
    expect(isTrustProxyEntry("127.0.0.1/32")).toBe(true);
    expect(isTrustProxyEntry("")).toBe(false);
  });
});
