/** The live admin channel (SPEC §8) and GET /metrics, against a real server. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN_TOKEN, api, EMIT_TOKEN, startServer, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";

async function admin(s: TestServer, token = ADMIN_TOKEN): Promise<TestClient> {
  const c = await TestClient.connect(`ws://127.0.0.1:${s.port}/admin/ws`);
  c.send({ event: "authenticate", data: { token } });
  return c;
}

describe("admin channel", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ allowedRooms: ["lobby"] });
  });
  afterAll(() => s.stop());

  test("an admin token gets a snapshot with stats, instances and the first pages of clients and rooms", async () => {
    const existing = await s.client({ sub: "early" });
    const a = await admin(s);
    const snap = await a.waitForEvent("snapshot");
    expect(snap.data.role).toBe("admin");
    expect(snap.data.stats.authenticated).toBeGreaterThanOrEqual(1);
    expect(snap.data.instances[0].id).toBe(s.sb.options.instanceId);
    expect(snap.data.clients.items.map((c: any) => c.id)).toContain(existing.id);
    expect(snap.data.rooms.items.map((r: any) => r.name)).toContain("ws-default");
    a.close();
    existing.close();
  });

  test("a viewer token is accepted with role viewer; an emitter or wrong token gets error and 4003", async () => {
    const v = await admin(s, VIEWER_TOKEN);
    expect((await v.waitForEvent("snapshot")).data.role).toBe("viewer");
    v.close();
    for (const token of [EMIT_TOKEN, "wrong-token-0123456789"]) {
      const bad = await admin(s, token);
      expect((await bad.waitForEvent("error")).data.message).toBe("Authentication failed");
      expect((await bad.waitClosed()).code).toBe(4003);
    }
  });

  test("connect, authenticate, join, emit and disconnect stream as events; stats arrive every second", async () => {
    const a = await admin(s);
    await a.waitForEvent("snapshot");
    const c = await s.client({ sub: "watched" });
    await c.request("join", { rooms: ["lobby"] });
    await api(s, "POST", "/api/emit", { to: { room: "lobby" }, event: "hello" });
    c.close();
    const authed = await a.waitFor((f) => f.event === "client:authenticated" && f.data.clientId === c.id);
    expect(authed.data).toMatchObject({ userId: "watched", encrypted: false, instanceId: s.sb.options.instanceId });
    await a.waitFor((f) => f.event === "client:connected" && f.data.clientId === c.id);
    await a.waitFor((f) => f.event === "room:joined" && f.data.room === "lobby" && f.data.clientId === c.id);
    const emitted = await a.waitFor((f) => f.event === "emit" && f.data.event === "hello");
    expect(emitted.data).toMatchObject({ by: "static:admin", target: { room: "lobby" }, recipients: 1 });
    const gone = await a.waitFor((f) => f.event === "client:disconnected" && f.data.clientId === c.id);
    expect(gone.data.code).toBe(1000);
    const stats = await a.waitForEvent("stats", 2500);
    expect(typeof stats.data.connections).toBe("number");
    a.close();
  });

  test("no authenticate frame within the auth timeout closes the admin socket with 4001", async () => {
    const quick = await startServer({ authTimeout: 150 });
    try {
      const a = await TestClient.connect(`ws://127.0.0.1:${quick.port}/admin/ws`);
      expect((await a.waitClosed()).code).toBe(4001);
    } finally {
      await quick.stop();
    }
  });
});

describe("aggregated mode", () => {
  test("a burst of 2,000 clients switches the stream to aggregated counts and the admin socket's buffer stays bounded", async () => {
    const s = await startServer({ adminAggregateAbove: 100, rateLimitPerSecond: 0, defaultRooms: ["ws-default"] });
    try {
      const a = await admin(s);
      await a.waitForEvent("snapshot");
      const clients: TestClient[] = [];
      const token = await s.token({ sub: "burst" });
      for (let batch = 0; batch < 20; batch++) {
        const group = await Promise.all(Array.from({ length: 100 }, () => TestClient.authenticated(s.ws, token)));
        clients.push(...group);
      }
      const mode = await a.waitFor((f) => f.event === "mode" && f.data.aggregated === true, 5000);
      expect(mode.data.threshold).toBe(100);
      const aggregate = await a.waitForEvent("aggregate", 3000);
      expect(Object.values(aggregate.data.counts as Record<string, number>).reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
      const streamed = a.frames.filter((f) => f.event === "client:connected").length;
      expect(streamed).toBeLessThan(2000);
      expect(s.sb.adminChannel.size).toBe(1);
      for (const c of clients) c.close();
      await a.waitFor((f) => f.event === "mode" && f.data.aggregated === false, 8000);
    } finally {
      await s.stop();
    }
  }, 60_000);
});

describe("GET /metrics", () => {
  test("Prometheus text with connections, encryption, rooms, messages, auth failures, close codes and broker health; viewer only", async () => {
    const s = await startServer();
    try {
      const c = await s.client();
      const bad = await TestClient.connect(s.ws);
      bad.send({ event: "authenticate", data: { token: "x" } });
      await bad.waitClosed();
      expect((await fetch(`${s.http}/metrics`)).status).toBe(401);
      expect((await fetch(`${s.http}/metrics`, { headers: { authorization: `Bearer ${EMIT_TOKEN}` } })).status).toBe(403);
      const res = await fetch(`${s.http}/metrics`, { headers: { authorization: `Bearer ${VIEWER_TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const text = await res.text();
      expect(text).toMatch(/switchboard_connections\{state="authenticated"[^}]*\} 1/);
      for (const name of ["switchboard_encrypted_sessions", "switchboard_rooms", "switchboard_messages_in_total", "switchboard_messages_out_total", "switchboard_bytes_in_total", "switchboard_broker_up", "nodejs_eventloop_lag_seconds"]) {
        expect(text).toContain(name);
      }
      expect(text).toMatch(/switchboard_auth_failures_total\{reason="rejected"[^}]*\} 1/);
      expect(text).toMatch(/switchboard_close_codes_total\{code="4003"[^}]*\} 1/);
      c.close();
    } finally {
      await s.stop();
    }
  });
});
