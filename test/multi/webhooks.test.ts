/**
 * Webhooks over Redis (SPEC §13) with real instances (processes), a real redis-server and a real
 * receiver: transitions once cluster-wide, hand-over of pending batches after SIGKILL, and
 * batches held in memory while Redis is down.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { Receiver } from "../../server/webhooks/receiver.ts";
import { STREAM_KEY } from "../../server/webhooks/redis-queue.ts";
import type { WebhookBatch } from "../../shared/webhooks.ts";
import { prepareInstances, startInstance, type Instance } from "../helpers/instances.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";
import type { TestClient } from "../helpers/ws-client.ts";

const SECRET = "webhook-secret-0123456789";
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => prepareInstances(), 60_000);

async function redis(): Promise<{ server: TestRedis; client: Redis }> {
  const server = await startRedis();
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  cleanups.push(() => server.stop(), () => client.disconnect());
  return { server, client };
}

async function instance(name: string, redisUrl: string, receiver: WebhookReceiver, extra: Record<string, string> = {}): Promise<Instance> {
  const i = await startInstance(name, {
    REDIS_URL: redisUrl, DEFAULT_ROOMS: "", WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET, WEBHOOK_BATCH_MS: "10",
    WEBHOOK_TIMEOUT_MS: "300", WEBHOOK_RETRY_WINDOW_S: "30", WEBHOOK_VACATE_DELAY_MS: "300", ...extra,
  });
  cleanups.push(() => (i.proc.exitCode === null && !i.proc.killed ? i.stop() : undefined));
  await i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected");
  return i;
}

async function client(i: Instance, sub: string, rooms: string[] = []): Promise<TestClient> {
  const c = await i.client({ sub });
  cleanups.push(() => c.close());
  if (rooms.length > 0) await c.request("join", { rooms });
  return c;
}

async function receiver(): Promise<WebhookReceiver> {
  const r = new WebhookReceiver({ secret: SECRET }).start();
  cleanups.push(() => r.stop());
  return r;
}

describe("webhooks on Redis: once per transition cluster-wide", () => {
  test("a room occupied on two instances at once sends one room.occupied, one member.added per user, and one room.vacated", async () => {
    const { server } = await redis();
    const r = await receiver();
    const [a, b] = await Promise.all([instance("wh-a", server.url, r), instance("wh-b", server.url, r)]);
    const clients = await Promise.all([client(a, "ann"), client(b, "bob"), client(a, "cat"), client(b, "cat")]);
    await Promise.all(clients.map((c) => c.request("join", { rooms: ["shared"] })));
    await r.waitFor((x) => x.named("member.added").length === 3 && x.named("room.occupied").length >= 1, 10_000, "occupied and three members");
    for (const c of clients) c.close();
    await r.waitFor((x) => x.named("room.vacated").length >= 1 && x.named("member.removed").length >= 3, 10_000, "vacated");
    await Bun.sleep(500); // time is the subject: no second transition may follow
    expect(r.named("room.occupied")).toHaveLength(1);
    expect(r.named("room.vacated")).toHaveLength(1);
    expect(r.named("member.added").map((e) => (e as { userId: string }).userId).sort()).toEqual(["ann", "bob", "cat"]);
    expect(r.named("member.removed")).toHaveLength(3);
    expect(r.named("client.connected")).toHaveLength(4);
    expect(r.attempts.every((x) => x.valid)).toBe(true);
  }, 30_000);
});

describe("webhooks on Redis: at least once across a crash", () => {
  test("an instance SIGKILLed while it holds pending batches (receiver down) has them delivered by the survivor", async () => {
    const { server, client: redisClient } = await redis();
    const r = await receiver();
    await r.stop(); // down: its port refuses connections
    const [a, b] = await Promise.all([instance("wh-kill-a", server.url, r), instance("wh-kill-b", server.url, r)]);
    for (let i = 0; i < 5; i++) {
      await client(a, `a-${i}`, ["crash"]);
      await client(b, `b-${i}`, ["crash"]);
    }
    /** Events of every batch already in the stream, as "connected:<n> added:<n>". */
    const inStream = async () => {
      const entries = (await redisClient.xrange(STREAM_KEY, "-", "+")) as [string, string[]][];
      const events = entries.flatMap(([, f]) => (JSON.parse(f[f.indexOf("b") + 1]!) as WebhookBatch).events);
      return `connected:${events.filter((e) => e.name === "client.connected").length} added:${events.filter((e) => e.name === "member.added").length}`;
    };
    const group = new Receiver(r.url).id;
    const deadline = Date.now() + 10_000;
    let holder: string | null = null;
    let pending: unknown[] = [];
    while (Date.now() < deadline) {
      holder = await redisClient.get(`sb:wh:lease:${group}`);
      pending = (await redisClient.xpending(STREAM_KEY, group)) as unknown[];
      if ((await inStream()) === "connected:10 added:10" && holder && Number(pending[0]) >= 1) break;
      await Bun.sleep(50);
    }
    expect(await inStream()).toBe("connected:10 added:10");
    expect(Number(pending[0]), "a batch in flight on the lease holder").toBeGreaterThanOrEqual(1);
    const victim = holder === a.id ? a : b;
    expect(victim.id).toBe(holder!);
    expect((pending[3] as [string, string][]).map(([consumer]) => consumer)).toEqual([victim.id]);
    victim.proc.kill("SIGKILL");
    await victim.proc.exited;

    r.start(); // back on the same port
    await r.waitFor((x) => x.named("client.connected").length === 10 && x.named("member.added").length === 10, 20_000, "every event in the stream");
    expect(r.named("client.connected").map((e) => (e as { userId: string }).userId).sort()).toEqual([...Array(5).keys()].flatMap((i) => [`a-${i}`, `b-${i}`]).sort());
    expect(r.named("member.added")).toHaveLength(10);
    expect(r.named("room.occupied")).toHaveLength(1);
    expect(r.attempts.every((x) => x.valid)).toBe(true);
  }, 45_000);

  test("while Redis is down events wait in memory, then go into Redis and out when it returns", async () => {
    const { server } = await redis();
    const r = await receiver();
    const a = await instance("wh-outage", server.url, r);
    await client(a, "before", ["outage"]);
    await r.waitFor((x) => x.named("member.added").length === 1, 10_000, "the first member");
    await server.kill();
    await a.waitForLog((l) => l.msg === "redis broker disconnected; cross-instance delivery paused, reconnecting", 5000, "broker down");
    await client(a, "during", ["outage"]);
    await a.waitForLog((l) => l.msg === "webhook batches cannot reach Redis; holding them in memory", 5000, "held in memory");
    await server.restart();
    await r.waitFor((x) => x.named("client.connected").length === 2 && x.named("member.added").length === 2, 20_000, "the events made during the outage");
    expect(r.named("client.connected").map((e) => (e as { userId: string }).userId)).toEqual(["before", "during"]);
  }, 45_000);
});
