/** Every close code of SPEC §3.4 produced by a real server on a real socket, and upgrade refusals. */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";
import type { SwitchboardOptions } from "../../server/config/options.ts";

async function withServer(options: SwitchboardOptions, fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startServer(options);
  try {
    await fn(s);
  } finally {
    await s.stop();
  }
}

describe("close codes", () => {
  test("1001 Server shutting down reaches authenticated and unauthenticated sockets, and new upgrades are refused", async () => {
    const s = await startServer();
    const a = await s.client();
    const b = await TestClient.connect(s.ws);
    const stopping = s.stop();
    expect(await a.waitClosed()).toEqual({ code: 1001, reason: "Server shutting down" });
    expect((await b.waitClosed()).code).toBe(1001);
    await stopping;
    await expect(TestClient.connect(s.ws, { timeoutMs: 1000 })).rejects.toThrow();
  });

  test("4001 Authentication timeout when no authenticate arrives", () =>
    withServer({ authTimeout: 150 }, async (s) => {
      const c = await TestClient.connect(s.ws);
      expect(await c.waitClosed()).toEqual({ code: 4001, reason: "Authentication timeout" });
      expect(c.frames).toEqual([]);
    }));

  test("4002 Heartbeat timeout for a silent authenticated client; a heartbeating one stays", () =>
    withServer({ heartbeatInterval: 100, heartbeatTimeout: 300 }, async (s) => {
      const silent = await s.client();
      const alive = await s.client();
      const timer = setInterval(() => alive.send({ event: "heartbeat" }), 50);
      try {
        expect(await silent.waitClosed(2000)).toEqual({ code: 4002, reason: "Heartbeat timeout" });
        expect(alive.isClosed).toBe(false);
      } finally {
        clearInterval(timer);
      }
    }));

  test("4003 Authentication failed for an expired token", () =>
    withServer({}, async (s) => {
      const c = await TestClient.connect(s.ws);
      c.send({ event: "authenticate", data: { token: await s.token({ sub: "u" }, Math.floor(Date.now() / 1000) - 60) } });
      expect(await c.waitClosed()).toEqual({ code: 4003, reason: "Authentication failed" });
    }));

  test("4004 Encryption required for a client that offers no key", () =>
    withServer({ encryption: "required" }, async (s) => {
      const c = await TestClient.connect(s.ws);
      c.send({ event: "authenticate", data: { token: await s.token() } });
      expect(await c.waitClosed()).toMatchObject({ code: 4004, reason: "Encryption required" });
      expect(c.frames.some((f) => f.event === "connected")).toBe(false);
    }));

  test("4005 Rate limit exceeded after the warning error", () =>
    withServer({ rateLimitPerSecond: 5 }, async (s) => {
      const c = await s.client();
      for (let i = 0; i < 40; i++) c.send({ event: "heartbeat" });
      expect((await c.waitForEvent("error")).data).toEqual({ message: "Rate limit exceeded" });
      expect(await c.waitClosed()).toEqual({ code: 4005, reason: "Rate limit exceeded" });
    }));

  test("4006 Slow consumer for a client that stops reading, while a healthy client keeps receiving", () =>
    withServer({ backpressureLimit: 64 * 1024, slowConsumerGraceMs: 300, allowedRooms: ["flood"] }, async (s) => {
      const closes: number[] = [];
      s.sb.on((e) => void (e.type === "client:disconnected" && closes.push(e.code)));
      const healthy = await s.client({ sub: "healthy" });
      await healthy.request("join", { rooms: ["flood"] });
      const child = Bun.spawn([process.execPath, join(import.meta.dir, "../fixtures/stalled-client.ts"), s.ws, await s.token({ sub: "stalled" }), "flood"], { stdout: "pipe" });
      try {
        const reader = child.stdout.getReader();
        const { value } = await reader.read();
        expect(new TextDecoder().decode(value)).toContain("ready");
        child.kill("SIGSTOP");
        const payload = "x".repeat(32 * 1024);
        const deadline = Date.now() + 10_000;
        while (!closes.includes(4006) && Date.now() < deadline) {
          for (let i = 0; i < 50; i++) await s.sb.toRoom("flood", "bulk", payload);
          await healthy.waitFor((f) => f.event === "bulk");
          await Bun.sleep(20);
        }
        expect(closes, JSON.stringify(closes)).toContain(4006);
        expect(healthy.isClosed).toBe(false);
      } finally {
        child.kill("SIGKILL");
      }
    }), 20_000);

  test("4007 Disconnected by server when an operator disconnects the client", () =>
    withServer({}, async (s) => {
      const c = await s.client();
      expect(await s.sb.disconnect(c.id)).toBe(true);
      expect(await c.waitClosed()).toEqual({ code: 4007, reason: "Disconnected by server" });
    }));

  test("4008 Too many connections beyond MAX_CONNECTIONS_PER_USER", () =>
    withServer({ maxConnectionsPerUser: 1 }, async (s) => {
      const first = await s.client({ sub: "solo" });
      const second = await TestClient.connect(s.ws);
      second.send({ event: "authenticate", data: { token: await s.token({ sub: "solo" }) } });
      expect((await second.next("error")).data).toEqual({ message: "Too many connections" });
      expect(await second.waitClosed()).toEqual({ code: 4008, reason: "Too many connections" });
      expect(first.isClosed).toBe(false);
    }));

  test("4009 Token expired when exp passes without a refresh", () =>
    withServer({}, async (s) => {
      const c = await s.client({ sub: "short" });
      const expiring = await TestClient.authenticated(s.ws, await s.token({ sub: "short" }, Math.floor(Date.now() / 1000) + 2));
      expect(await expiring.waitClosed(4000)).toEqual({ code: 4009, reason: "Token expired" });
      expect(c.isClosed).toBe(false);
    }), 10_000);
});

describe("upgrade refusals", () => {
  test("an Origin outside ALLOWED_ORIGINS gets 403; an allowed one upgrades", () =>
    withServer({ allowedOrigins: ["https://app.example.com"] }, async (s) => {
      const refused = await fetch(s.http + "/ws", { headers: { upgrade: "websocket", connection: "Upgrade", origin: "https://evil.example.com", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
      expect(refused.status).toBe(403);
      const ok = await TestClient.connect(s.ws, { headers: { origin: "https://app.example.com" } });
      ok.close();
    }));

  test("beyond MAX_CONNECTIONS upgrades get HTTP 503", () =>
    withServer({ maxConnections: 2 }, async (s) => {
      const a = await TestClient.connect(s.ws);
      const b = await TestClient.connect(s.ws);
      const res = await fetch(s.http + "/ws", { headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
      expect(res.status).toBe(503);
      a.close();
      await waitUntil(() => s.sb["hub"].counts().connections === 1, 3000, "the server to drop the closed socket");
      const c = await TestClient.connect(s.ws);
      c.close();
      b.close();
    }));

  test("only the exact WebSocket path upgrades", () =>
    withServer({}, async (s) => {
      await expect(TestClient.connect(s.ws + "/", { timeoutMs: 1000 })).rejects.toThrow();
      const withQuery = await TestClient.connect(s.ws + "?x=1");
      withQuery.close();
    }));
});
