/**
 * SSE across instances on a real Redis: a ticket issued by instance A is redeemed on B (once:
 * not again on A or B), an SSE client on B gets emits made on A, appears in A's cluster-wide
 * client list with transport sse, and recovers a history room with Last-Event-ID on the other
 * instance.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import { requestTicket, TestSseStream } from "../helpers/sse-client.ts";
import { waitUntil } from "../helpers/ws-client.ts";

let redis: TestRedis;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  redis = await startRedis();
  const opts = { redisUrl: redis.url, allowedRooms: ["*"], historyRooms: ["h-*"], presenceTtlMs: 1000 };
  a = await startServer(opts);
  b = await startServer(opts);
  await waitUntil(() => a.sb.broker.connected && b.sb.broker.connected, 5000, "both brokers connected");
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
});

test("a ticket from instance A is redeemed on instance B, exactly once", async () => {
  const { status, body } = await requestTicket(a.http, await a.token({ sub: "alice" }), { rooms: ["lobby"] });
  expect(status).toBe(200);
  const onB = await TestSseStream.open(b.http, body.ticket);
  expect(onB).toBeInstanceOf(TestSseStream);
  const sse = onB as TestSseStream;
  await sse.next((e) => e.event === "connected");
  for (const other of [a, b]) {
    const again = (await TestSseStream.open(other.http, body.ticket)) as Response;
    expect(again.status).toBe(401);
    expect((await again.json()).error.code).toBe("invalid_ticket");
  }
  // Emitted on A, delivered to the SSE client on B; listed cluster-wide with its transport.
  await api(a, "POST", "/api/emit", { event: "cross", data: { from: "a" }, to: { room: "lobby" } });
  expect((await sse.next((e) => e.event === "cross")).data).toEqual({ from: "a" });
  const id = sse.connected!.data.id;
  for (let i = 0; i < 100 && (await api(a, "GET", `/api/clients/${id}`)).status !== 200; i++) await Bun.sleep(50);
  expect((await api(a, "GET", `/api/clients/${id}`)).body).toMatchObject({ transport: "sse", instanceId: b.sb.options.instanceId });
  sse.close();
});

test("a ticket raced on two instances at once is redeemed by only one", async () => {
  const { body } = await requestTicket(a.http, await a.token({ sub: "bob" }));
  const [onA, onB] = await Promise.all([TestSseStream.open(a.http, body.ticket), TestSseStream.open(b.http, body.ticket)]);
  const opened = [onA, onB].filter((s) => s instanceof TestSseStream) as TestSseStream[];
  const refused = [onA, onB].filter((s) => s instanceof Response) as Response[];
  expect(opened.length).toBe(1);
  expect(refused.map((r) => r.status)).toEqual([401]);
  for (const s of opened) s.close();
});

test("Last-Event-ID recovery on the other instance gets exactly the missed history messages", async () => {
  const token = await a.token({ sub: "carol" });
  const first = await TestSseStream.connect(a.http, token, { rooms: ["h-multi"] });
  await api(a, "POST", "/api/emit", { event: "m", data: 1, to: { room: "h-multi" } });
  const seen = await first.next((e) => e.event === "m");
  first.close();
  for (const n of [2, 3]) await api(b, "POST", "/api/emit", { event: "m", data: n, to: { room: "h-multi" } });
  const { body } = await requestTicket(b.http, token, { rooms: ["h-multi"] });
  const again = (await TestSseStream.open(b.http, body.ticket, { "last-event-id": seen.id! })) as TestSseStream;
  await again.until(() => again.events.filter((e) => e.event === "m").length === 2);
  expect(again.connected!.data.recovered).toEqual({ "h-multi": true });
  expect(again.events.filter((e) => e.event === "m").map((e) => [e.data, e.id])).toEqual([
    [2, `h-multi:${Number(seen.id!.split(":")[1]) + 1}`],
    [3, `h-multi:${Number(seen.id!.split(":")[1]) + 2}`],
  ]);
  again.close();
});
