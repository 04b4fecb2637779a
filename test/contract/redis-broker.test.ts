/**
 * The broker contract against two Redis brokers on a private redis-server (killed and restarted
 * for the outage case), plus what only Redis has: Ignis publishers outside Switchboard, a start
 * while Redis is down, and injected connections.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { RedisBroker, redisConnectionOptions } from "../../server/broker/redis.ts";
import { createEmitter } from "../../shared/emitter.ts";
import { freePort, startRedis, type TestRedis } from "../helpers/redis.ts";
import { brokerContract } from "./broker.contract.ts";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const fast = { reconnect: { minDelayMs: 20, maxDelayMs: 200 }, startTimeoutMs: 3000 };

brokerContract("redis", () => ({
  create: () => new RedisBroker({ url: redis.url, ...fast }),
  outage: { down: () => redis.kill(), up: () => redis.restart() },
}));

/** A logger that keeps lines, to check "once per state change". */
function recordingLog() {
  const lines: Array<{ level: string; msg?: string }> = [];
  const at = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

function waitHealth(broker: RedisBroker, up: boolean, timeoutMs = 10_000): Promise<void> {
  if (broker.connected === up) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker not ${up ? "up" : "down"} within ${timeoutMs} ms`)), timeoutMs);
    broker.onHealth((now) => {
      if (now !== up) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("redis broker specifics", () => {
  test("envelopes PUBLISHed by an Ignis emitter on the Ignis channels arrive; other channels are ignored", async () => {
    const broker = new RedisBroker({ url: redis.url, ...fast });
    const got: string[] = [];
    const last = new Promise<void>((resolve) => broker.onMessage((channel) => {
      got.push(channel);
      if (channel === "ws:broadcast") resolve();
    }));
    await broker.start();
    const raw = new Redis(redis.url);
    for (const channel of ["other:channel", "ws:room:lobby", "ws:client:c1", "ws:user:u1", "ws:broadcast"]) await raw.publish(channel, "{}");
    await raw.quit();
    await last;
    expect(got).toEqual(["ws:room:lobby", "ws:client:c1", "ws:user:u1", "ws:broadcast"]);
    await broker.close();
  });

  test("an outage is logged once down and once up, with no unhandled rejection, and commands reject while down", async () => {
    const { lines, log } = recordingLog();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const broker = new RedisBroker({ url: redis.url, log, ...fast });
    await broker.start();
    expect(await broker.command("SET", "sb:test", "1", "PX", "10000")).toBe("OK");
    await redis.kill();
    await waitHealth(broker, false);
    const failures = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => broker.publish("ws:broadcast", String(i))));
    expect(failures.every((f) => f.status === "rejected")).toBe(true);
    await expect(broker.command("GET", "sb:test")).rejects.toBeInstanceOf(Error);
    await redis.restart();
    await waitHealth(broker, true);
    await broker.close();
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);
    expect(lines.filter((l) => l.level === "error").map((l) => l.msg)).toEqual(["redis broker disconnected; cross-instance delivery paused, reconnecting"]);
    expect(lines.filter((l) => l.level === "info").map((l) => l.msg)).toEqual(["redis broker connected", "redis broker reconnected and resubscribed"]);
  }, 20_000);

  test("started while Redis is down: start resolves degraded, then the broker connects when Redis comes up", async () => {
    await redis.kill();
    const broker = new RedisBroker({ url: redis.url, ...fast, startTimeoutMs: 200 });
    await broker.start();
    expect(broker.connected).toBe(false);
    await redis.restart();
    await waitHealth(broker, true);
    const peer = new RedisBroker({ url: redis.url, ...fast });
    await peer.start();
    const got = new Promise<string>((resolve) => broker.onMessage((_c, m) => resolve(m)));
    await peer.publish("ws:room:late", "hello");
    expect(await got).toBe("hello");
    await Promise.all([broker.close(), peer.close()]);
  }, 20_000);

  test("injected connections are used as given and left open by close()", async () => {
    const pub = new Redis(redis.url, redisConnectionOptions());
    const sub = new Redis(redis.url, redisConnectionOptions());
    const broker = new RedisBroker({ connections: { pub, sub }, ...fast });
    await broker.start();
    expect(broker.connected).toBe(true);
    await broker.close();
    expect(pub.status).toBe("ready");
    expect(await pub.ping()).toBe("PONG");
    await Promise.all([pub.quit(), sub.quit()]);
  });

  test("a missing redis-server port is reported as unreachable, not thrown", async () => {
    const broker = new RedisBroker({ url: `redis://127.0.0.1:${await freePort()}`, ...fast, startTimeoutMs: 100 });
    await broker.start();
    expect(broker.connected).toBe(false);
    await expect(broker.publish("ws:broadcast", "x")).rejects.toThrow(/not connected/);
    await broker.close();
  });

  test("the emitter publishes exactly the Ignis envelope, in the positional and in the Ignis object form", async () => {
    const broker = new RedisBroker({ url: redis.url, ...fast });
    const got: Array<[string, unknown]> = [];
    const done = new Promise<void>((resolve) => broker.onMessage((channel, message) => {
      got.push([channel, JSON.parse(message)]);
      if (got.length === 4) resolve();
    }));
    await broker.start();
    const emitter = createEmitter({ redisUrl: redis.url });
    expect(await emitter.toRoom({ room: "dash", event: "data:update", data: { cpu: 42.5 }, exclude: ["6f1c"] })).toBe(1);
    await emitter.toClient({ clientId: "c1", event: "e", data: null });
    await emitter.toUser("u1", "e", [1]);
    await emitter.broadcast({ event: "e" });
    await done;
    expect(got).toEqual([
      ["ws:room:dash", { serverId: "emitter", type: "room", target: "dash", event: "data:update", data: { cpu: 42.5 }, exclude: ["6f1c"] }],
      ["ws:client:c1", { serverId: "emitter", type: "client", target: "c1", event: "e", data: null }],
      ["ws:user:u1", { serverId: "emitter", type: "user", target: "u1", event: "e", data: [1] }],
      ["ws:broadcast", { serverId: "emitter", type: "broadcast", event: "e" }],
    ]);
    await emitter.shutdown();
    await emitter.shutdown();
    await expect(emitter.broadcast("late")).rejects.toThrow(/shut down/);
    await broker.close();
  });

  test("the emitter rejects within its connect timeout when Redis is unreachable, and an injected connection stays open", async () => {
    const down = createEmitter({ redisUrl: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 200 });
    await expect(down.toRoom("a", "e")).rejects.toThrow(/not reachable within 200 ms/);
    await down.shutdown();
    const own = new Redis(redis.url);
    const injected = createEmitter({ redis: own });
    expect(await injected.broadcast("e")).toBeNumber();
    await injected.shutdown();
    expect(await own.ping()).toBe("PONG");
    await own.quit();
  });
});
