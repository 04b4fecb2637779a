/**
 * Idempotent REST emits across instance processes on one private redis-server (SPEC §14): a
 * retry on another instance replays the first answer and delivers nothing, 10 concurrent repeats
 * spread over two instances deliver once, a key expires IDEMPOTENCY_TTL_S after the first
 * request, a repeat of a request still running answers 409 after the documented bound, and with
 * Redis down a keyed emit is refused with 503. A client on each instance counts deliveries; a
 * broadcast fence sent last marks the point after which every earlier emit has arrived (Redis
 * delivers in publish order on each instance's subscription).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { IN_FLIGHT_WAIT_MS, idempotencySlot, requestFingerprint } from "../../server/api/idempotency.ts";
import { ADMIN_TOKEN } from "../helpers/server.ts";
import { BROKER_DOWN_LOG, prepareInstances, startInstance, type Instance } from "../helpers/instances.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

let redis: TestRedis;
let direct: Redis;
let a: Instance;
let b: Instance;
/** Same Redis, keys remembered for 1 s only. */
let short: Instance;
let x: TestClient;
let y: TestClient;
let fences = 0;

beforeAll(async () => {
  await prepareInstances();
  redis = await startRedis();
  direct = new Redis(redis.url);
  [a, b, short] = await Promise.all([
    startInstance("idem-a", { REDIS_URL: redis.url }),
    startInstance("idem-b", { REDIS_URL: redis.url }),
    startInstance("idem-short", { REDIS_URL: redis.url, IDEMPOTENCY_TTL_S: "1" }),
  ]);
  await Promise.all([a, b, short].map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
  [x, y] = await Promise.all([a.client({ sub: "x" }), b.client({ sub: "y" })]);
  await Promise.all([x.request("join", { rooms: ["idem"] }), y.request("join", { rooms: ["idem"] })]);
}, 30_000);

afterAll(async () => {
  x?.close();
  y?.close();
  direct?.disconnect();
  await Promise.all([a, b, short].filter(Boolean).map((i) => i.stop()));
  await redis?.stop();
});

interface Answer {
  status: number;
  body: any;
  replayed: string | null;
}

async function post(on: Instance, path: string, body: unknown, key?: string): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  if (key !== undefined) headers["idempotency-key"] = key;
  const res = await fetch(`${on.http}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), replayed: res.headers.get("idempotent-replayed") };
}

const emit = (event: string, data: unknown = 1) => ({ to: { room: "idem" }, event, data });

/** Frames of `event` that the clients on instance a and on instance b got, once a fence has arrived at both. */
async function delivered(event: string): Promise<[number, number]> {
  const fence = `fence-${++fences}`;
  expect((await post(a, "/api/emit", emit(fence))).status).toBe(202);
  await Promise.all([x.waitForEvent(fence, 5000), y.waitForEvent(fence, 5000)]);
  const count = (c: TestClient) => c.frames.filter((f) => f.event === event).length;
  return [count(x), count(y)];
}

describe("across instances on one Redis", () => {
  test("a retry on the other instance replays the first answer and delivers nothing", async () => {
    const first = await post(a, "/api/emit", emit("retry", { n: 1 }), "retry-key");
    expect(first).toMatchObject({ status: 202, replayed: null, body: { recipients: expect.any(Number) } });
    const retry = await post(b, "/api/emit", emit("retry", { n: 1 }), "retry-key");
    expect(retry).toEqual({ status: 202, body: first.body, replayed: "true" });
    expect(await post(a, "/api/emit", emit("retry", { n: 1 }), "retry-key")).toEqual(retry);
    expect(await delivered("retry")).toEqual([1, 1]);
  });

  test("10 concurrent repeats over two instances deliver once; all answers identical, 9 replayed", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i % 2 === 0 ? a : b, "/api/emit", emit("burst"), "burst-key")));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(new Set(answers.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(answers.filter((r) => r.replayed === "true")).toHaveLength(9);
    expect(await delivered("burst")).toEqual([1, 1]);
  });

  test("the same key with a different body on the other instance → 422", async () => {
    expect((await post(a, "/api/emit", emit("differs", 1), "differs-key")).status).toBe(202);
    const other = await post(b, "/api/emit", emit("differs", 2), "differs-key");
    expect(other).toMatchObject({ status: 422, body: { error: { code: "idempotency_key_reused" } } });
    expect(await delivered("differs")).toEqual([1, 1]);
  });

  test("a batch retried on the other instance delivers its messages once", async () => {
    const body = { messages: [emit("batch-1"), emit("batch-2")] };
    const first = await post(a, "/api/emit/batch", body, "batch-key");
    expect(first.status).toBe(202);
    expect(await post(b, "/api/emit/batch", body, "batch-key")).toEqual({ status: 202, body: first.body, replayed: "true" });
    expect(await delivered("batch-1")).toEqual([1, 1]);
    expect(await delivered("batch-2")).toEqual([1, 1]);
  });

  test("Redis holds hashes only: neither the token nor the key appears in a key name or value", async () => {
    const names = await direct.keys("sb:idem:*");
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^sb:idem:[0-9a-f]{64}$/);
      const value = (await direct.get(name)) ?? "";
      expect(value).not.toContain(ADMIN_TOKEN);
      expect(value).not.toContain("retry-key");
    }
    expect(names).toContain(idempotencySlot("static", "static:admin", "retry-key"));
  });
});

describe("expiry", () => {
  test("with IDEMPOTENCY_TTL_S=1 a repeat within the second replays, a repeat after it delivers again", async () => {
    const first = await post(short, "/api/emit", emit("expiring"), "expiring-key");
    expect(first.status).toBe(202);
    expect((await post(short, "/api/emit", emit("expiring"), "expiring-key")).replayed).toBe("true");
    await Bun.sleep(1200); // time is the subject: the key must be forgotten once its second is over
    const later = await post(short, "/api/emit", emit("expiring"), "expiring-key");
    expect(later).toMatchObject({ status: 202, replayed: null });
    expect(later.body.id).not.toBe(first.body.id);
    expect(await delivered("expiring")).toEqual([2, 2]);
  });
});

describe("a first request still running", () => {
  test(`a repeat waits ${IN_FLIGHT_WAIT_MS / 1000} s for its answer, then answers 409 and delivers nothing`, async () => {
    // A claim whose owner never answers: what an instance that died mid-request leaves behind.
    const body = emit("stuck");
    const fingerprint = requestFingerprint("POST", "/api/emit", [], JSON.stringify(body));
    const slot = idempotencySlot("static", "static:admin", "stuck-key");
    await direct.set(slot, JSON.stringify({ state: "running", fingerprint, owner: "gone" }), "PX", 60_000);
    const started = Date.now();
    const r = await post(b, "/api/emit", body, "stuck-key");
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "idempotency_key_in_progress", field: "Idempotency-Key" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(IN_FLIGHT_WAIT_MS - 100);
    expect(await delivered("stuck")).toEqual([0, 0]);
  }, IN_FLIGHT_WAIT_MS + 20_000);

  test("a different body for a running key → 422 at once", async () => {
    const r = await post(a, "/api/emit", emit("stuck", 2), "stuck-key");
    expect(r.status).toBe(422);
  });
});

describe("Redis down (last: it stops the shared Redis)", () => {
  test("a keyed emit is refused with 503 and a clear error; nothing is sent", async () => {
    await redis.kill();
    await a.waitForLog((l) => l.msg === BROKER_DOWN_LOG, 10_000, "broker down");
    const r = await post(a, "/api/emit", emit("while-down"), "down-key");
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe("idempotency_unavailable");
    expect(r.body.error.message).toContain("nothing was sent");
    expect(x.frames.filter((f) => f.event === "while-down")).toHaveLength(0);
  });
});
