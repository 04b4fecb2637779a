/**
 * The cluster view when things fail, with three Switchboard processes on a private
 * redis-server and a short presence TTL (1.5 s):
 * - Redis killed and restarted empty: while it is down each instance answers for itself; once it
 *   is back every instance republishes its presence and the view is whole again, and no
 *   instance is reported down for the outage;
 * - one instance killed with SIGKILL (no goodbye): its clients vanish from the view within its
 *   TTL, and `instance:down` reaches an admin socket on another instance;
 * - presence wiped while connected (FLUSHALL): republished whole at the next refresh.
 * Time is the subject of the TTL checks; everything else waits on events or polls with deadlines.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { adminSocket, call, eventually, get, sortedIds } from "../helpers/cluster.ts";
import { prepareInstances, restEmit, startInstance, type Instance } from "../helpers/instances.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

const TTL_MS = 1500;
const DOWN = "redis broker disconnected; cross-instance delivery paused, reconnecting";
const UP = "redis broker reconnected and resubscribed";

let redis: TestRedis;
let a: Instance;
let b: Instance;
let c: Instance;
let x: TestClient;
let y: TestClient;
let z1: TestClient;
let z2: TestClient;
let watcher: TestClient;

beforeAll(async () => {
  await prepareInstances();
  redis = await startRedis();
  const start = (name: string) => startInstance(name, { REDIS_URL: redis.url, PRESENCE_TTL_MS: String(TTL_MS) });
  [a, b, c] = await Promise.all([start("fo-a"), start("fo-b"), start("fo-c")]);
  await Promise.all([a, b, c].map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
  [x, y, z1, z2] = await Promise.all([a.client({ sub: "xavier" }), b.client({ sub: "yvonne" }), c.client({ sub: "zoe" }), c.client({ sub: "zoe" })]);
  await eventually(async () => expect((await get(a, "/api/clients?limit=100")).total).toBe(4));
  watcher = await adminSocket(b);
}, 60_000);

afterAll(async () => {
  for (const client of [x, y, z1, z2, watcher]) client?.close();
  await Promise.all([a, b, c].map((i) => i?.stop()));
  await redis?.stop();
});

const all = () => sortedIds([x, y, z1, z2]);

describe("cluster view under failures", () => {
  test("Redis restarted empty: each instance answers for itself meanwhile, then presence is republished and the view is whole again", async () => {
    await redis.kill();
    await Promise.all([a, b, c].map((i) => i.waitForLog((l) => l.msg === DOWN, 5000, "disconnect line")));
    // Degraded: this instance only, never an error.
    expect(await get(a, "/api/clients?limit=100")).toMatchObject({ total: 1, items: [{ id: x.id }] });
    expect(await get(c, "/api/stats")).toMatchObject({ instances: 1, connections: 2 });
    expect((await call(a, "POST", "/api/emit?dryRun=true", { to: { broadcast: true }, event: "e" })).body.recipients).toBe(1);

    await redis.restart();
    await Promise.all([a, b, c].map((i) => i.waitForLog((l) => l.msg === UP, 10_000, "reconnect line")));
    for (const instance of [a, b, c]) {
      await eventually(async () => expect(sortedIds((await get(instance, "/api/clients?limit=100")).items)).toEqual(all()));
      await eventually(async () => expect(await get(instance, "/api/stats")).toMatchObject({ instances: 3, connections: 4, users: 3 }));
    }
    expect((await call(b, "POST", "/api/emit?dryRun=true", { to: { user: "zoe" }, event: "e" })).body.recipients).toBe(2);
    // Operator commands work across instances again.
    expect(await call(a, "POST", `/api/clients/${z1.id}/rooms`, { rooms: ["after"] })).toEqual({ status: 200, body: { joined: ["after"] } });
    await restEmit(a, { to: { room: "after" }, event: "back" });
    await z1.waitForEvent("back");
    expect(watcher.frames.filter((f) => f.event === "instance:down")).toEqual([]);
  }, 30_000);

  test("an instance killed with SIGKILL: its clients vanish within its TTL and instance:down reaches an admin socket elsewhere", async () => {
    const killedAt = Date.now();
    c.proc.kill("SIGKILL");
    await c.proc.exited;
    const down = await watcher.waitFor((f) => f.event === "instance:down", 3 * TTL_MS, "instance:down");
    expect(down.data.instanceId).toBe("fo-c");
    // Its records expire at most one TTL after their last refresh; the watch notices within one refresh interval.
    expect(Date.now() - killedAt).toBeLessThan(TTL_MS + TTL_MS / 3 + 1000);
    await eventually(async () => expect(sortedIds((await get(a, "/api/clients?limit=100")).items)).toEqual(sortedIds([x, y])), TTL_MS);
    expect(await get(a, "/api/stats")).toMatchObject({ instances: 2, connections: 2 });
    expect((await get(b, "/api/instances")).items.map((i: { id: string }) => i.id).sort()).toEqual(["fo-a", "fo-b"]);
    expect((await call(a, "POST", "/api/emit?dryRun=true", { to: { broadcast: true }, event: "e" })).body.recipients).toBe(2);
    expect((await call(a, "DELETE", `/api/clients/${z1.id}`)).status).toBe(404);
  }, 15_000);

  test("an instance that starts later is announced with instance:up and joins the view", async () => {
    const d = await startInstance("fo-d", { REDIS_URL: redis.url, PRESENCE_TTL_MS: String(TTL_MS) });
    const w = await d.client({ sub: "walter" });
    const up = await watcher.waitFor((f) => f.event === "instance:up" && f.data.instanceId === "fo-d", 3 * TTL_MS, "instance:up");
    expect(up.data.at).toBeNumber();
    await eventually(async () => expect(sortedIds((await get(b, "/api/clients?limit=100")).items)).toEqual(sortedIds([x, y, w])));
    w.close();
    expect(await d.stop()).toBe(0);
  });

  test("presence wiped without a disconnect (FLUSHALL) is noticed at the next refresh and republished whole", async () => {
    const raw = new Redis(redis.url);
    await raw.flushall();
    await raw.quit();
    for (const instance of [a, b]) {
      await eventually(async () => expect(sortedIds((await get(instance, "/api/clients?limit=100")).items)).toEqual(sortedIds([x, y])), 3 * TTL_MS);
      expect((await get(instance, "/api/stats")).instances).toBe(2);
    }
  });
});
