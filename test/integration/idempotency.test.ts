/**
 * Idempotent REST emits on one server with the memory store (SPEC §14): a repeat replays the
 * first answer and delivers nothing, a different request with the same key is a 422, bad keys
 * are a 400, keys are per caller, the batch route and concurrency behave the same. A real
 * WebSocket client counts deliveries; a broadcast fence sent last (without a key) marks the
 * point after which every earlier emit has arrived.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { signToken } from "../../server/auth/jwt.ts";
import { ADMIN_TOKEN, EMIT_TOKEN, startServer, TEST_SECRET, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";

let s: TestServer;
let watcher: TestClient;
let fences = 0;

beforeAll(async () => {
  s = await startServer({ allowedRooms: ["*"] });
  watcher = await s.client({ sub: "watcher" });
  await watcher.request("join", { rooms: ["idem"] });
});
afterAll(async () => {
  watcher.close();
  await s.stop();
});

interface Answer {
  status: number;
  body: any;
  replayed: string | null;
}

async function post(path: string, body: unknown, key?: string, token = ADMIN_TOKEN): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  if (key !== undefined) headers["idempotency-key"] = key;
  const res = await fetch(`${s.http}${path}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, body: await res.json(), replayed: res.headers.get("idempotent-replayed") };
}

const emit = (event: string, data: unknown = 1) => ({ to: { room: "idem" }, event, data });

/** How many frames of `event` the watcher got, once a fence sent after everything has arrived. */
async function delivered(event: string): Promise<number> {
  const fence = `fence-${++fences}`;
  expect((await post("/api/emit", emit(fence))).status).toBe(202);
  await watcher.waitForEvent(fence, 5000);
  return watcher.frames.filter((f) => f.event === event).length;
}

describe("a repeat with the same key", () => {
  test("delivers nothing and answers the first answer again with Idempotent-Replayed: true", async () => {
    const first = await post("/api/emit", emit("once", { n: 1 }), "key-repeat");
    expect(first).toMatchObject({ status: 202, replayed: null });
    expect(first.body.recipients).toBe(1);
    const again = await post("/api/emit", emit("once", { n: 1 }), "key-repeat");
    expect(again).toEqual({ status: 202, body: first.body, replayed: "true" });
    expect(await delivered("once")).toBe(1);
  });

  test("JSON key order and whitespace do not make a different request", async () => {
    const first = await post("/api/emit", emit("ordered", { a: 1, b: 2 }), "key-order");
    const reordered = await post("/api/emit", `{ "data": {"b":2, "a":1}, "event": "ordered", "to": {"room":"idem"} }`, "key-order");
    expect(reordered).toEqual({ status: 202, body: first.body, replayed: "true" });
    expect(await delivered("ordered")).toBe(1);
  });

  test("without a key, the same body is delivered each time", async () => {
    await post("/api/emit", emit("keyless"));
    await post("/api/emit", emit("keyless"));
    expect(await delivered("keyless")).toBe(2);
  });
});

describe("the same key for a different request", () => {
  test("a different body → 422 naming the header; nothing more is delivered", async () => {
    expect((await post("/api/emit", emit("mismatch", 1), "key-mismatch")).status).toBe(202);
    const other = await post("/api/emit", emit("mismatch", 2), "key-mismatch");
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: "idempotency_key_reused", field: "Idempotency-Key" });
    expect(other.body.error.message).toContain("different request");
    expect(await delivered("mismatch")).toBe(1);
  });

  test("the other route (batch) with an emit's key → 422", async () => {
    expect((await post("/api/emit", emit("cross-route"), "key-route")).status).toBe(202);
    const batch = await post("/api/emit/batch", { messages: [emit("cross-route")] }, "key-route");
    expect(batch.status).toBe(422);
    expect(await delivered("cross-route")).toBe(1);
  });
});

describe("invalid keys → 400 with the error body, nothing sent", () => {
  test("129 characters", async () => {
    const r = await post("/api/emit", emit("bad-key"), "k".repeat(129));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { code: "invalid_request", message: "Idempotency-Key: expected 1-128 printable ASCII characters (got 129 characters)", field: "Idempotency-Key" } });
    expect(await delivered("bad-key")).toBe(0);
  });

  test("128 characters is accepted", async () => {
    expect((await post("/api/emit", emit("long-key"), "k".repeat(128))).status).toBe(202);
    expect(await delivered("long-key")).toBe(1);
  });

  for (const [label, key] of [["a tab", "a\tb"], ["DEL (0x7f)", "a\x7fb"], ["a non-ASCII character", "clé"]] as const) {
    test(`a key with ${label}`, async () => {
      const r = await post("/api/emit", emit("bad-key"), key);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ code: "invalid_request", field: "Idempotency-Key" });
      expect(await delivered("bad-key")).toBe(0);
    });
  }

  test("an empty key", async () => {
    const r = await post("/api/emit", emit("bad-key"), "");
    expect(r).toMatchObject({ status: 400, body: { error: { field: "Idempotency-Key" } } });
  });

  test("a key with 0x01, sent raw: Bun's HTTP parser refuses it with 400 before the app", async () => {
    const body = JSON.stringify(emit("bad-key"));
    const head = `POST /api/emit HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nIdempotency-Key: a\x01b\r\nConnection: close\r\n\r\n`;
    const reply = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = connect(s.port, "127.0.0.1", () => socket.write(head + body));
      socket.on("data", (chunk) => (text += chunk));
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
    });
    expect(reply.startsWith("HTTP/1.1 400")).toBe(true);
    expect(await delivered("bad-key")).toBe(0);
  });
});

describe("scope per caller", () => {
  test("the admin token, the emit token and two JWT subjects with the same key each deliver", async () => {
    const svcA = await signToken(TEST_SECRET, { sub: "svc-a", role: "emitter" });
    const svcB = await signToken(TEST_SECRET, { sub: "svc-b", role: "emitter" });
    // A JWT whose sub imitates a static token's scope is still another caller.
    const imitator = await signToken(TEST_SECRET, { sub: "static:admin", role: "admin" });
    const answers = [];
    for (const token of [ADMIN_TOKEN, EMIT_TOKEN, svcA, svcB, imitator]) answers.push(await post("/api/emit", emit("scoped"), "shared-key", token));
    expect(answers.map((a) => [a.status, a.replayed])).toEqual(Array(5).fill([202, null]));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(5);
    expect(await delivered("scoped")).toBe(5);
  });

  test("the same JWT subject with a fresh token shares the scope", async () => {
    const t1 = await signToken(TEST_SECRET, { sub: "svc-same", role: "emitter" }, "1h");
    const t2 = await signToken(TEST_SECRET, { sub: "svc-same", role: "emitter" }, "2h");
    const first = await post("/api/emit", emit("same-sub"), "sub-key", t1);
    expect(await post("/api/emit", emit("same-sub"), "sub-key", t2)).toEqual({ status: 202, body: first.body, replayed: "true" });
    expect(await delivered("same-sub")).toBe(1);
  });
});

describe("what is stored", () => {
  test("a 400 (invalid body) is not stored: the corrected request with the same key delivers", async () => {
    const bad = await post("/api/emit", { to: { room: "idem" }, event: "" }, "key-fix");
    expect(bad.status).toBe(400);
    expect((await post("/api/emit", emit("fixed"), "key-fix")).status).toBe(202);
    expect(await delivered("fixed")).toBe(1);
  });

  test("a dryRun is neither stored nor replayed, and does not use up the key", async () => {
    const dry = await post("/api/emit?dryRun=true", emit("dry"), "key-dry");
    expect(dry).toEqual({ status: 200, body: { recipients: 1, dryRun: true }, replayed: null });
    expect((await post("/api/emit?dryRun=true", emit("dry"), "key-dry")).replayed).toBeNull();
    expect((await post("/api/emit", emit("dry"), "key-dry")).status).toBe(202);
    expect(await delivered("dry")).toBe(1);
  });

  test("a dryRun still checks the key", async () => {
    expect((await post("/api/emit?dryRun=true", emit("dry"), "x".repeat(200))).status).toBe(400);
  });
});

describe("the batch route", () => {
  test("a repeated batch delivers its messages once and replays the same items", async () => {
    const body = { messages: [emit("batch-a"), emit("batch-b")] };
    const first = await post("/api/emit/batch", body, "key-batch");
    expect(first.status).toBe(202);
    expect(first.body.items).toHaveLength(2);
    expect(await post("/api/emit/batch", body, "key-batch")).toEqual({ status: 202, body: first.body, replayed: "true" });
    expect(await delivered("batch-a")).toBe(1);
    expect(await delivered("batch-b")).toBe(1);
  });
});

describe("concurrent repeats", () => {
  test("10 at once with one key deliver once; all 10 answers are identical, 9 replayed", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => post("/api/emit", emit("burst"), "key-burst")));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    expect(answers.filter((a) => a.replayed === "true")).toHaveLength(9);
    expect(await delivered("burst")).toBe(1);
  });
});

describe("OpenAPI", () => {
  test("both emit routes document the Idempotency-Key header, the replay header and the 409/422 answers", async () => {
    const doc = await (await fetch(`${s.http}/api/openapi.json`)).json();
    for (const path of ["/emit", "/emit/batch"]) {
      const op = doc.paths[path].post;
      expect(op.parameters.find((p: any) => p.in === "header")).toMatchObject({ name: "Idempotency-Key", schema: { maxLength: 128 } });
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["409", "422"]));
      expect(op.responses["202"].headers["Idempotent-Replayed"]).toBeDefined();
    }
    expect(doc.paths["/audit"].get.parameters.some((p: any) => p.in === "header")).toBe(false);
  });
});
