/** The REST needed to drive the server from outside (issue 2 item 7): health, ready, emit with roles and validation. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { signToken } from "../../server/auth/jwt.ts";
import { ADMIN_TOKEN, api, EMIT_TOKEN, startServer, TEST_SECRET, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ allowedRooms: ["lobby", "other"] });
});
afterAll(() => s.stop());

describe("health and readiness", () => {
  test("GET /api/health answers ok without a token", async () => {
    expect(await api(s, "GET", "/api/health", undefined, null)).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  test("GET /api/ready reports the broker kind and state", async () => {
    expect(await api(s, "GET", "/api/ready", undefined, null)).toMatchObject({ status: 200, body: { broker: { kind: "memory", connected: true } } });
  });
});

describe("POST /api/emit auth", () => {
  const body = { to: { broadcast: true }, event: "ping", data: 1 };

  test("no token → 401 with the JSON error shape", async () => {
    const r = await api(s, "POST", "/api/emit", body, null);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: "unauthorized", message: "missing bearer token" } });
  });

  test("a wrong token → 401", async () => {
    expect((await api(s, "POST", "/api/emit", body, "wrong-token-0123456789")).status).toBe(401);
  });

  test("the viewer token → 403", async () => {
    expect((await api(s, "POST", "/api/emit", body, VIEWER_TOKEN)).status).toBe(403);
  });

  test("the emit token and the admin token → 202", async () => {
    for (const token of [EMIT_TOKEN, ADMIN_TOKEN]) expect((await api(s, "POST", "/api/emit", body, token)).status).toBe(202);
  });

  test("a JWT with role emitter → 202; with a client token (no role) → 401", async () => {
    expect((await api(s, "POST", "/api/emit", body, await signToken(TEST_SECRET, { sub: "svc", role: "emitter" }))).status).toBe(202);
    expect((await api(s, "POST", "/api/emit", body, await signToken(TEST_SECRET, { sub: "u" }))).status).toBe(401);
  });
});

describe("POST /api/emit body", () => {
  const invalid: Array<[string, unknown, string | undefined]> = [
    ["two targets at once", { to: { room: "a", user: "b" }, event: "x" }, "to"],
    ["no target", { event: "x" }, "to"],
    ["a reserved room name", { to: { room: "ws:internal" }, event: "x" }, "to.room"],
    ["an empty event", { to: { broadcast: true }, event: "" }, "event"],
    ["a system event", { to: { broadcast: true }, event: "connected" }, "event"],
    ["exclude not an array", { to: { broadcast: true }, event: "x", exclude: "abc" }, "exclude"],
    ["an unknown field", { to: { broadcast: true }, event: "x", extra: 1 }, undefined],
  ];
  for (const [label, body, field] of invalid) {
    test(`${label} → 400 naming the field`, async () => {
      const r = await api(s, "POST", "/api/emit", body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
      if (field) expect(r.body.error.field).toBe(field);
    });
  }

  test("a body that is not JSON → 400 invalid_json", async () => {
    const r = await api(s, "POST", "/api/emit", "{not json");
    expect(r).toMatchObject({ status: 400, body: { error: { code: "invalid_json" } } });
  });

  test("a body over 1 MiB → 413", async () => {
    const r = await api(s, "POST", "/api/emit", { to: { broadcast: true }, event: "x", data: "y".repeat(1_100_000) });
    expect(r.status).toBe(413);
  });

  test("an unknown route → 404 in the JSON error shape", async () => {
    expect(await api(s, "GET", "/api/nope")).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
  });
});

describe("POST /api/emit targets", () => {
  test("each target form reaches the right clients and reports the recipients; dryRun sends nothing", async () => {
    const a = await s.client({ sub: "ua" });
    const b = await s.client({ sub: "ub" });
    await a.request("join", { rooms: ["lobby"] });
    await b.request("join", { rooms: ["lobby", "other"] });
    const emit = async (to: unknown, event: string, extra: object = {}, query = "") => (await api(s, "POST", `/api/emit${query}`, { to, event, data: { event }, ...extra })).body;
    expect(await emit({ room: "lobby" }, "dry", {}, "?dryRun=true")).toEqual({ recipients: 2, dryRun: true });
    expect((await emit({ room: "lobby" }, "room", { exclude: [a.id] })).recipients).toBe(1);
    expect((await emit({ rooms: ["lobby", "other"] }, "rooms")).recipients).toBe(2);
    expect((await emit({ user: "ua" }, "user")).recipients).toBe(1);
    expect((await emit({ client: b.id }, "client")).recipients).toBe(1);
    const all = await emit({ broadcast: true }, "all");
    expect(all.recipients).toBeGreaterThanOrEqual(2);
    expect(typeof all.id).toBe("string");
    await a.waitForEvent("all");
    await b.waitForEvent("all");
    const seen = (c: typeof a) => c.frames.filter((f) => f.data?.event === f.event && f.event !== "all").map((f) => f.event);
    expect(seen(a)).toEqual(["rooms", "user"]);
    expect(seen(b)).toEqual(["room", "rooms", "client"]);
    a.close();
    b.close();
  });

  test("CORS preflight is answered for the API", async () => {
    const res = await fetch(`${s.http}/api/emit`, { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});
