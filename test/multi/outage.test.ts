/**
 * Redis killed and restarted under two running Switchboard processes. While it is down each
 * instance keeps serving its own clients, `/api/ready` answers 503 and publishes fail fast;
 * once it is back both reconnect and resubscribe, `/api/ready` answers 200, cross-instance
 * delivery resumes, and nothing sent during the outage arrives late or twice. Waits are on log
 * lines and frames, with timeouts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEmitter, type Emitter } from "../../shared/emitter.ts";
import { BROKER_DOWN_LOG, BROKER_UP_LOG, ready, restEmit, startRedisPair, type Instance, type LogLine, type RedisPair } from "../helpers/instances.ts";
import type { TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

const DOWN = BROKER_DOWN_LOG;
const UP = BROKER_UP_LOG;

let pair: RedisPair;
let redis: TestRedis;
let a: Instance;
let b: Instance;
let x: TestClient;
let y: TestClient;

beforeAll(async () => {
  pair = await startRedisPair("out", "r", ["xavier", "yvonne"]);
  ({ redis, a, b, x, y } = pair);
}, 60_000);

afterAll(() => pair?.stop());

const count = (client: TestClient, event: string) => client.frames.filter((f) => f.event === event).length;
const errors = (i: Instance) => i.logs.filter((l: LogLine) => l.level >= 50).map((l) => l.msg);

describe("Redis outage under two instances", () => {
  test("kill, serve locally, restart, resume: no crash, no late or duplicate delivery", async () => {
    expect((await restEmit(a, { to: { room: "r" }, event: "before" })).status).toBe(202);
    await Promise.all([x.next("before"), y.next("before")]);

    await redis.kill();
    await Promise.all([a, b].map((i) => i.waitForLog((l) => l.msg === DOWN, 5000, "disconnect line")));
    for (const i of [a, b]) expect(await ready(i)).toEqual({ status: 503, body: { status: "degraded", broker: { kind: "redis", connected: false } } });

    // Local delivery goes on; what other instances would have needed is dropped, not queued.
    expect((await restEmit(a, { to: { room: "r" }, event: "during" })).status).toBe(202);
    expect((await restEmit(b, { to: { client: x.id }, event: "during-remote" })).status).toBe(202);
    expect((await restEmit(b, { to: { user: "yvonne" }, event: "during-local" })).status).toBe(202);
    await Promise.all([x.next("during"), y.next("during-local")]);
    const z = await b.client({ sub: "zoe" }); // authentication is local too
    expect(z.id).toBeString();

    await redis.restart();
    await Promise.all([a, b].map((i) => i.waitForLog((l) => l.msg === UP, 10_000, "reconnect line")));
    for (const i of [a, b]) expect((await ready(i)).status).toBe(200);

    expect((await restEmit(a, { to: { room: "r" }, event: "after-a" })).status).toBe(202);
    expect((await restEmit(b, { to: { broadcast: true }, exclude: [z.id], event: "after-b" })).status).toBe(202);
    const emitter: Emitter = createEmitter({ redisUrl: redis.url });
    await emitter.broadcast("fence");
    await emitter.shutdown();
    await Promise.all([x, y, z].map((c) => c.waitForEvent("fence", 5000)));

    expect([count(x, "during"), count(y, "during"), count(x, "during-remote"), count(y, "during-local")]).toEqual([1, 0, 0, 1]);
    for (const c of [x, y]) expect([count(c, "after-a"), count(c, "after-b")]).toEqual([1, 1]);
    expect(count(z, "after-b")).toBe(0);
    z.close();

    // Logged once per state change, not per message; both processes still up.
    for (const i of [a, b]) {
      expect(i.logs.filter((l) => l.msg === DOWN)).toHaveLength(1);
      expect(i.logs.filter((l) => l.msg === UP)).toHaveLength(1);
      expect(i.proc.exitCode).toBeNull();
    }
    expect(errors(a)).toEqual([DOWN, "broker publish failed; cross-instance delivery degraded"]);
    expect(errors(b)).toEqual([DOWN, "broker publish failed; cross-instance delivery degraded"]);
  }, 25_000);

  test("both instances shut down cleanly afterwards", async () => {
    expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
  });
});
