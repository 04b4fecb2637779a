/**
 * History and recovery across instances on a real Redis (Streams): reconnect to another instance
 * and get exactly the missed messages, gap reports, concurrent publishers, and a Redis outage.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
const opts = () => ({ redisUrl: redis.url, allowedRooms: ["news", "feed-*"], historyRooms: ["news", "feed-*"], historySize: 500 });

beforeAll(async () => {
  redis = await startRedis();
  a = await startServer(opts());
  b = await startServer(opts());
  await waitUntil(() => a.sb.broker.connected && b.sb.broker.connected, 5000, "both brokers connected");
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

const seqsOf = (c: TestClient, room: string) => c.frames.filter((f) => f.room === room).map((f) => f.seq!);

describe("recovery across instances", () => {
  test("disconnect from A, 100 messages published, reconnect to B: exactly the missed ones in order, then live ones", async () => {
    const first = await a.client({ sub: "reader" });
    await first.request("join", { rooms: ["news"] });
    await a.sb.toRoom("news", "h", "before");
    const last = (await first.waitFor((f) => f.data === "before")).seq!;
    first.close();
    await first.closed;
    for (let i = 0; i < 100; i++) await (i % 2 ? a : b).sb.toRoom("news", "h", i);
    const again = await TestClient.connect(b.ws);
    again.send({ event: "authenticate", data: { token: await b.token({ sub: "reader" }), recover: { rooms: { news: last } } } });
    expect((await again.waitForEvent("connected")).data.recovered).toEqual({ news: true });
    await a.sb.toRoom("news", "h", "live");
    await again.waitFor((f) => f.data === "live");
    const got = again.frames.filter((f) => f.event === "h");
    expect(got.map((f) => f.data)).toEqual([...Array.from({ length: 100 }, (_, i) => i), "live"]);
    expect(got.map((f) => f.seq)).toEqual(Array.from({ length: 101 }, (_, i) => last + 1 + i));
    again.close();
  });

  test("concurrent publishers on both instances keep the seq gap-free, and every member sees each seq once", async () => {
    const onA = await a.client({ sub: "x" });
    const onB = await b.client({ sub: "y" });
    await onA.request("join", { rooms: ["feed-c"] });
    await onB.request("join", { rooms: ["feed-c"] });
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).sb.toRoom("feed-c", "n", i)));
    for (const c of [onA, onB]) {
      await c.waitFor(() => seqsOf(c, "feed-c").length === 60, 5000);
      expect([...seqsOf(c, "feed-c")].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    }
    onA.close();
    onB.close();
  });

  test("a gap larger than the history reports recovered:false on any instance", async () => {
    const small = await startServer({ ...opts(), historySize: 5 });
    try {
      for (let i = 0; i < 20; i++) await small.sb.toRoom("feed-gap", "g", i);
      const c = await TestClient.connect(a.ws);
      c.send({ event: "authenticate", data: { token: await a.token(), recover: { rooms: { "feed-gap": 2 } } } });
      expect((await c.waitForEvent("connected")).data.recovered).toEqual({ "feed-gap": false });
      await c.waitFor((f) => f.seq === 20);
      expect(seqsOf(c, "feed-gap")).toEqual([16, 17, 18, 19, 20]);
      c.close();
    } finally {
      await small.stop();
    }
  });

  test("GET /api/rooms/:name/history on either instance shows the same stream", async () => {
    const fromA = (await api(a, "GET", "/api/rooms/news/history?limit=3")).body;
    const fromB = (await api(b, "GET", "/api/rooms/news/history?limit=3")).body;
    expect(fromA).toEqual(fromB);
    expect(fromA.items).toHaveLength(3);
  });
});

describe("Redis outage", () => {
  test("while Redis is down history emits fail without crashing; after a restart that lost the data, recovery says so", async () => {
    const c = await a.client({ sub: "outage" });
    await c.request("join", { rooms: ["feed-o"] });
    for (let i = 1; i <= 3; i++) await a.sb.toRoom("feed-o", "o", i);
    const before = (await c.waitFor((f) => f.data === 3)).seq!;
    await redis.stop();
    await waitUntil(() => !a.sb.broker.connected, 5000, "broker down");
    await expect(a.sb.toRoom("feed-o", "o", "during")).rejects.toThrow(/history of room feed-o is unavailable/);
    const rest = await api(a, "POST", "/api/emit", { to: { room: "feed-o" }, event: "o", data: "during" });
    expect(rest).toMatchObject({ status: 503, body: { error: { code: "history_unavailable" } } });
    await redis.restart();
    await waitUntil(() => a.sb.broker.connected && b.sb.broker.connected, 10_000, "brokers back");
    await a.sb.toRoom("feed-o", "o", "after");
    await c.waitFor((f) => f.data === "after");
    expect(c.frames.some((f) => f.data === "during")).toBe(false);
    const late = await TestClient.connect(b.ws);
    late.send({ event: "authenticate", data: { token: await b.token(), recover: { rooms: { "feed-o": before } } } });
    expect((await late.waitForEvent("connected")).data.recovered).toEqual({ "feed-o": false });
    c.close();
    late.close();
  }, 30_000);
});
