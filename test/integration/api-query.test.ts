/** REST endpoints × roles, validation, pagination under churn, operator actions, OpenAPI (SPEC §7). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { signToken } from "../../server/auth/jwt.ts";
import { API_ROUTES } from "../../server/api/openapi.ts";
import { ADMIN_TOKEN, api, EMIT_TOKEN, startServer, TEST_SECRET, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";

let s: TestServer;
let alice: TestClient;
let bob: TestClient;
beforeAll(async () => {
  s = await startServer({ allowedRooms: ["lobby", "room-*"] });
  alice = await s.client({ sub: "alice" });
  bob = await s.client({ sub: "bob" }, {});
  await alice.request("join", { rooms: ["lobby"] });
});
afterAll(() => s.stop());

const READS = ["/api/stats", "/api/instances", "/api/clients", "/api/rooms", "/api/rooms/lobby", "/api/audit"];

describe("roles", () => {
  for (const path of READS) {
    test(`GET ${path}: 401 without a token, 403 for the emitter, 200 for viewer and admin`, async () => {
      expect((await api(s, "GET", path, undefined, null)).status).toBe(401);
      expect((await api(s, "GET", path, undefined, EMIT_TOKEN)).status).toBe(403);
      expect((await api(s, "GET", path, undefined, VIEWER_TOKEN)).status).toBe(200);
      expect((await api(s, "GET", path, undefined, ADMIN_TOKEN)).status).toBe(200);
    });
  }

  test("admin actions are refused to viewer (403) and emitter (403), with nothing changed", async () => {
    for (const token of [VIEWER_TOKEN, EMIT_TOKEN]) {
      expect((await api(s, "DELETE", `/api/clients/${bob.id}`, undefined, token)).status).toBe(403);
      expect((await api(s, "POST", `/api/clients/${bob.id}/rooms`, { rooms: ["x"] }, token)).status).toBe(403);
      expect((await api(s, "DELETE", `/api/clients/${alice.id}/rooms/lobby`, undefined, token)).status).toBe(403);
    }
    expect(bob.isClosed).toBe(false);
    expect(s.sb.getClient(alice.id)!.rooms).toContain("lobby");
  });

  test("a JWT with role viewer reads; a JWT with role viewer cannot disconnect", async () => {
    const viewer = await signToken(TEST_SECRET, { sub: "ops", role: "viewer" });
    expect((await api(s, "GET", "/api/stats", undefined, viewer)).status).toBe(200);
    expect((await api(s, "DELETE", `/api/clients/${bob.id}`, undefined, viewer)).status).toBe(403);
  });
});

describe("reads", () => {
  test("stats are cluster totals with every field a number", async () => {
    const { body } = await api(s, "GET", "/api/stats");
    for (const key of ["instances", "connections", "authenticated", "encrypted", "rooms", "users", "messagesInPerSec", "messagesOutPerSec"]) expect(typeof body[key]).toBe("number");
    expect(body.authenticated).toBeGreaterThanOrEqual(2);
    expect(body.instances).toBe(1);
  });

  test("instances list this instance with its pid and connection count", async () => {
    const { body } = await api(s, "GET", "/api/instances");
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ id: s.sb.options.instanceId, pid: process.pid, healthy: true });
  });

  test("clients filter by user, room, encryption and q, with the full item shape", async () => {
    const byUser = (await api(s, "GET", "/api/clients?userId=alice")).body;
    expect(byUser.items.map((c: any) => c.id)).toEqual([alice.id]);
    expect(Object.keys(byUser.items[0]).sort()).toEqual(expect.arrayContaining(["id", "userId", "instanceId", "state", "rooms", "encrypted", "connectedAt", "lastActivity", "remoteAddress", "userAgent"]));
    expect((await api(s, "GET", "/api/clients?room=lobby")).body.items.map((c: any) => c.userId)).toEqual(["alice"]);
    expect((await api(s, "GET", "/api/clients?encrypted=true")).body.total).toBe(0);
    expect((await api(s, "GET", `/api/clients?q=${bob.id.slice(0, 8)}`)).body.items.map((c: any) => c.id)).toContain(bob.id);
  });

  test("one client by id, 404 for an unknown one", async () => {
    expect((await api(s, "GET", `/api/clients/${alice.id}`)).body.userId).toBe("alice");
    expect(await api(s, "GET", "/api/clients/nope")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });

  test("rooms list sizes without own-id rooms; a room lists its members", async () => {
    const rooms = (await api(s, "GET", "/api/rooms?limit=500")).body;
    expect(rooms.items).toContainEqual({ name: "lobby", size: 1, history: false });
    expect(rooms.items.some((r: any) => r.name === alice.id)).toBe(false);
    const lobby = (await api(s, "GET", "/api/rooms/lobby")).body;
    expect(lobby).toMatchObject({ name: "lobby", size: 1 });
    expect(lobby.clients[0].id).toBe(alice.id);
    expect((await api(s, "GET", "/api/rooms/empty-room")).status).toBe(404);
  });

  test("bad query parameters are 400 naming the parameter", async () => {
    expect((await api(s, "GET", "/api/clients?limit=0")).body.error).toMatchObject({ code: "invalid_request", field: "limit" });
    expect((await api(s, "GET", "/api/clients?encrypted=maybe")).body.error.field).toBe("encrypted");
    expect((await api(s, "GET", "/api/rooms?limit=abc")).status).toBe(400);
  });
});

describe("cursor pagination", () => {
  test("paging while clients come and go never repeats and never skips a client that stayed", async () => {
    const stayers: TestClient[] = [];
    for (let i = 0; i < 12; i++) stayers.push(await s.client({ sub: `page-${i}` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    let churn = 0;
    do {
      const query: string = `/api/clients?limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const page: any = (await api(s, "GET", query)).body;
      seen.push(...page.items.map((c: any) => c.id));
      cursor = page.nextCursor;
      const extra = await s.client({ sub: `churn-${churn++}` });
      extra.close();
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const c of stayers) expect(seen).toContain(c.id);
    for (const c of stayers) c.close();
  });
});

describe("operator actions", () => {
  test("join and leave on a client's behalf bypass ALLOWED_ROOMS but not the reserved names", async () => {
    const joined = await api(s, "POST", `/api/clients/${bob.id}/rooms`, { rooms: ["vip-room"] });
    expect(joined).toMatchObject({ status: 200, body: { joined: ["vip-room"] } });
    expect((await api(s, "POST", `/api/clients/${bob.id}/rooms`, { rooms: ["ws:evil"] })).body.error.field).toBe("rooms.0");
    await s.sb.toRoom("vip-room", "vip", 1);
    await bob.waitForEvent("vip");
    expect((await api(s, "DELETE", `/api/clients/${bob.id}/rooms/vip-room`)).body).toEqual({ left: ["vip-room"] });
    expect((await api(s, "POST", "/api/clients/unknown/rooms", { rooms: ["a"] })).status).toBe(404);
  });

  test("DELETE /api/clients/:id closes that socket with 4007 and 404s for an unknown id", async () => {
    const victim = await s.client({ sub: "victim" });
    expect((await api(s, "DELETE", `/api/clients/${victim.id}`)).status).toBe(200);
    expect(await victim.waitClosed()).toEqual({ code: 4007, reason: "Disconnected by server" });
    expect((await api(s, "DELETE", "/api/clients/unknown")).status).toBe(404);
  });

  test("batch emit sends in order and every emit lands in the audit log with who, target and recipients", async () => {
    const r = await api(s, "POST", "/api/emit/batch", { messages: [{ to: { room: "lobby" }, event: "b1", data: 1 }, { to: { user: "alice" }, event: "b2" }] }, EMIT_TOKEN);
    expect(r.status).toBe(202);
    expect(r.body.items.map((i: any) => i.recipients)).toEqual([1, 1]);
    await alice.waitForEvent("b2");
    expect(alice.frames.filter((f) => f.event.startsWith("b")).map((f) => f.event)).toEqual(["b1", "b2"]);
    const audit = (await api(s, "GET", "/api/audit?limit=2")).body.items;
    expect(audit[0]).toMatchObject({ by: "static:emitter", event: "b2", target: { user: "alice" }, recipients: 1 });
    expect(audit[1].event).toBe("b1");
    expect((await api(s, "POST", "/api/emit/batch", { messages: [] })).status).toBe(400);
  });
});

describe("OpenAPI", () => {
  test("/api/openapi.json is a valid OpenAPI 3.1 document listing every route the app serves", async () => {
    const doc = (await api(s, "GET", "/api/openapi.json", undefined, null)).body;
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const served = s.sb.api.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${r.path}`);
    const documented = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
    for (const r of API_ROUTES) expect(doc.paths[r.path.replace(/:(\w+)/g, "{$1}")][r.method]).toBeDefined();
  });
});
