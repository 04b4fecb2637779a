/**
 * Webhooks without Redis (SPEC §13): a real server, real sockets and real HTTP receivers that
 * verify every request with the exported `verifyWebhook`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { SwitchboardOptions } from "../../server/config/options.ts";
import { api, startServer, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import { WebhookReceiver } from "../helpers/webhook-receiver.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { freePort } from "../helpers/redis.ts";

const SECRET = "webhook-secret-0123456789";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(o: Partial<ConstructorParameters<typeof WebhookReceiver>[0]> = {}): Promise<WebhookReceiver> {
  const r = new WebhookReceiver({ secret: SECRET, ...o }).start();
  cleanups.push(() => r.stop());
  return r;
}

async function server(urls: string[], o: SwitchboardOptions = {}): Promise<TestServer> {
  const s = await startServer({
    defaultRooms: [], allowedRooms: ["*"], webhookUrls: urls, webhookSecret: SECRET,
    webhookBatchMs: 10, webhookTimeoutMs: 300, webhookRetryWindowS: 20, webhookVacateDelayMs: 200, ...o,
  });
  cleanups.push(() => s.stop());
  return s;
}

async function client(s: TestServer, sub: string, rooms: string[] = []): Promise<TestClient> {
  const c = await s.client({ sub });
  cleanups.push(() => c.close());
  if (rooms.length > 0) await c.request("join", { rooms });
  return c;
}

const names = (r: WebhookReceiver) => r.events.map((e) => e.name);

/** The first receiver's `GET /api/webhooks` entry once `ready` holds (the sender counts after the receiver answered). */
async function statusWhen(s: TestServer, ready: (item: any) => boolean, index = 0): Promise<any> {
  const deadline = Date.now() + 5000;
  let item: any;
  while (Date.now() < deadline) {
    item = (await api(s, "GET", "/api/webhooks", undefined, VIEWER_TOKEN)).body.items[index];
    if (ready(item)) break;
    await Bun.sleep(20);
  }
  return item;
}

describe("webhooks: events, batches, signatures", () => {
  test("a client's life sends connected, occupied, member added, then disconnected, member removed and vacated after the delay", async () => {
    const r = await receiver();
    const s = await server([r.url]);
    const a = await client(s, "u1", ["lobby"]);
    const b = await client(s, "u1", ["lobby"]);
    await r.waitFor((x) => x.named("client.connected").length === 2, 5000, "two connected");
    a.close();
    b.close();
    await r.waitFor((x) => x.named("room.vacated").length === 1, 5000, "room.vacated");
    expect(names(r)).toEqual(["client.connected", "room.occupied", "member.added", "client.connected", "client.disconnected", "client.disconnected", "member.removed", "room.vacated"]);
    const [connected, occupied, added] = r.events;
    expect(connected).toMatchObject({ clientId: a.id, userId: "u1" });
    expect(occupied).toMatchObject({ room: "lobby" });
    expect(added).toEqual({ name: "member.added", time: expect.any(String), room: "lobby", userId: "u1" });
    expect(r.events[4]).toMatchObject({ clientId: a.id, userId: "u1", code: 1000 });
    for (const batch of r.accepted) {
      expect(batch.events.length).toBeLessThanOrEqual(100);
      expect(typeof batch.time).toBe("string");
    }
    expect(r.attempts.every((a) => a.valid)).toBe(true);
  });

  test("a client's own-id room sends no room events, and WEBHOOK_EVENTS filters the names", async () => {
    const r = await receiver();
    const s = await server([r.url], { webhookEvents: ["client.connected", "room.occupied"] });
    await client(s, "u1", ["only-this"]);
    await r.waitFor((x) => x.named("room.occupied").length === 1, 5000, "room.occupied");
    await Bun.sleep(300); // time is the subject: nothing else may follow
    expect(names(r)).toEqual(["client.connected", "room.occupied"]);
    expect(r.named("room.occupied")[0]).toMatchObject({ room: "only-this" });
  });

  test("at most 100 events per batch", async () => {
    const r = await receiver();
    const s = await server([r.url], { webhookBatchMs: 1000, webhookEvents: ["member.added"] });
    const c = await client(s, "u1");
    await c.request("join", { rooms: Array.from({ length: 150 }, (_, i) => `room-${i}`) });
    await r.waitFor((x) => x.events.length === 150, 5000, "150 member.added");
    expect(r.accepted.map((b) => b.events.length)).toEqual([100, 50]);
  });
});

describe("webhooks: vacate delay", () => {
  test("a leave followed by a join inside the delay sends nothing; a leave that lasts sends removed and vacated once", async () => {
    const r = await receiver();
    const s = await server([r.url], { webhookVacateDelayMs: 600 });
    const c = await client(s, "u1", ["r"]);
    await r.waitFor((x) => x.named("member.added").length === 1, 5000, "member.added");
    await c.request("leave", { rooms: ["r"] });
    await c.request("join", { rooms: ["r"] });
    await Bun.sleep(900); // time is the subject: past the vacate delay
    expect(names(r)).toEqual(["client.connected", "room.occupied", "member.added"]);
    await c.request("leave", { rooms: ["r"] });
    await r.waitFor((x) => x.named("room.vacated").length === 1, 5000, "room.vacated");
    expect(names(r)).toEqual(["client.connected", "room.occupied", "member.added", "member.removed", "room.vacated"]);
  });
});

describe("webhooks: retries", () => {
  test("a redirect, a 500, a reset and a hang past the timeout are each retried with the same batch id until a 2xx", async () => {
    const r = await receiver({ hangMs: 800 });
    r.failNext = ["redirect", "500", "reset", "hang"];
    const s = await server([r.url]);
    await client(s, "u1");
    await r.waitFor((x) => x.accepted.length === 1, 10_000, "the batch");
    expect(r.attempts.map((a) => a.answer)).toEqual(["redirect", "500", "reset", "hang", "200"]);
    expect(new Set(r.attempts.map((a) => a.id)).size).toBe(1);
    expect(r.attempts.every((a) => a.valid)).toBe(true);
    const item = await statusWhen(s, (i) => i.delivered === 1);
    expect(item).toMatchObject({ delivered: 1, failed: 0, pending: 0, lastError: "no answer within 300 ms", lastSuccessAt: expect.any(String) });
  });

  test("a receiver failing 30% at random (500, hang, reset) gets every event at least once, in order, signed; a dead one delays nothing", async () => {
    const seed = Date.now();
    const r = await receiver({ failRate: 0.3, hangMs: 500, seed });
    const dead = `http://user:hunter2@127.0.0.1:${await freePort()}/dead?token=abc`;
    // Batches of whatever one task produced: many batches, so many chances to fail.
    const s = await server([r.url, dead], { webhookBatchMs: 0 });
    const clients: TestClient[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      clients.push(await client(s, `user-${i}`, ["flaky"]));
      expect(performance.now() - started, "connecting never waits for webhooks").toBeLessThan(1000);
    }
    for (const c of clients) c.close();
    await r.waitFor((x) => x.named("room.vacated").length === 1, 25_000, `everything (seed ${seed})`);
    const connectedOrder = r.named("client.connected").map((e) => (e as { userId: string }).userId);
    expect(connectedOrder).toEqual(clients.map((_, i) => `user-${i}`));
    expect(r.named("member.added").length).toBe(30);
    expect(r.named("client.disconnected").length).toBe(30);
    expect(r.named("member.removed").length).toBe(30);
    expect(r.named("room.occupied").length).toBe(1);
    expect(r.attempts.every((a) => a.valid)).toBe(true);
    expect(r.attempts.some((a) => a.answer !== "200")).toBe(true);

    const good = await statusWhen(s, (i) => i.pending === 0);
    const bad = (await api(s, "GET", "/api/webhooks", undefined, VIEWER_TOKEN)).body.items[1];
    console.log(`flaky receiver: ${r.attempts.length} attempts, ${r.accepted.length} accepted (seed ${seed})`);
    expect(good).toMatchObject({ url: r.url, failed: 0, pending: 0, lastSuccessAt: expect.any(String) });
    expect(good.delivered).toBeGreaterThan(0);
    expect(bad).toMatchObject({ url: `http://user:***@127.0.0.1:${new URL(dead).port}/dead?token=***`, delivered: 0, lastSuccessAt: null });
    expect(bad.pending).toBeGreaterThan(0);
    expect(bad.lastError).toBeString();
    const metrics = await api(s, "GET", "/metrics");
    expect(metrics.body).toContain(`switchboard_webhook_delivered_total{receiver="${r.url}"`);
    expect(metrics.body).toContain("switchboard_webhook_pending{receiver=\"http://user:***@");
    expect(metrics.body).not.toContain("hunter2");
  }, 40_000);

  test("a batch still failing when the retry window ends is dropped and counted as failed", async () => {
    const r = await receiver();
    r.alwaysFail = true;
    const s = await server([r.url], { webhookRetryWindowS: 1 });
    await client(s, "u1");
    const item = await statusWhen(s, (i) => i.failed === 1);
    expect(item).toMatchObject({ delivered: 0, failed: 1, pending: 0, lastError: "HTTP 500" });
    expect(r.attempts.length).toBeGreaterThan(1);
  });

  test("GET /api/webhooks says disabled when no URL is configured", async () => {
    const s = await startServer({ defaultRooms: [] });
    cleanups.push(() => s.stop());
    expect((await api(s, "GET", "/api/webhooks", undefined, VIEWER_TOKEN)).body).toEqual({ enabled: false, items: [] });
    expect((await api(s, "GET", "/api/webhooks", undefined, null)).status).toBe(401);
  });
});
