/**
 * The two idempotency stores hold the same contract (server/api/idempotency-store.ts): one claim
 * wins, only its owner completes or releases it, the answer keeps the claim's expiry, expired
 * records are gone. The memory store runs on a fake clock; the Redis store on a private
 * redis-server and on a private 3-node Redis Cluster (skipped without redis-cli) through the
 * real broker's command interface. The memory store's bound is checked on its own.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from "../../server/api/idempotency-store.ts";
import { RedisBroker } from "../../server/broker/redis.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { MISSING_CLI, redisCliBinary, startRedisCluster, type TestRedisCluster } from "../helpers/redis-cluster.ts";

const answer = { status: 202, contentType: "application/json", body: '{"id":"x","recipients":1}' };
const running = (owner: string) => ({ state: "running" as const, fingerprint: "fp", owner });
const done = (owner: string) => ({ state: "done" as const, fingerprint: "fp", owner, answer });

let redis: TestRedis;
let broker: RedisBroker;
let cluster: TestRedisCluster | undefined;
let clusterBroker: RedisBroker;
let clock = 1_000_000;
const clusterAvailable = redisCliBinary() !== undefined;
if (!clusterAvailable) console.warn(MISSING_CLI);

beforeAll(async () => {
  redis = await startRedis();
  broker = new RedisBroker({ url: redis.url });
  await broker.start();
  if (!clusterAvailable) return;
  cluster = await startRedisCluster();
  clusterBroker = new RedisBroker({ clusterNodes: cluster.nodes });
  await clusterBroker.start();
}, 30_000);
afterAll(async () => {
  await Promise.all([broker?.close(), clusterBroker?.close()]);
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

/** `wait` lets time pass for the store: the fake clock for memory, real time for Redis. */
const stores: Array<[string, () => IdempotencyStore, (ms: number) => Promise<void>]> = [
  ["memory", () => new MemoryIdempotencyStore(100, () => clock), async (ms) => void (clock += ms)],
  ["redis", () => new RedisIdempotencyStore(broker), (ms) => Bun.sleep(ms)],
  ...(clusterAvailable ? [["redis cluster", () => new RedisIdempotencyStore(clusterBroker), (ms: number) => Bun.sleep(ms)] as (typeof stores)[number]] : []),
];

for (const [name, make, wait] of stores) {
  describe(`${name} store`, () => {
    test("the first claim wins; later claims get the record it holds", async () => {
      const store = make();
      const key = `sb:idem:${name}-claim`;
      expect(await store.claim(key, running("a"), 10_000)).toBeUndefined();
      expect(await store.claim(key, running("b"), 10_000)).toEqual(running("a"));
      await store.complete(key, done("a"));
      expect(await store.claim(key, running("c"), 10_000)).toEqual(done("a"));
    });

    test("only the owner completes or releases a claim", async () => {
      const store = make();
      const key = `sb:idem:${name}-owner`;
      await store.claim(key, running("a"), 10_000);
      await store.complete(key, done("intruder"));
      await store.release(key, "intruder");
      expect(await store.claim(key, running("b"), 10_000)).toEqual(running("a"));
      await store.release(key, "a");
      expect(await store.claim(key, running("b"), 10_000)).toBeUndefined();
    });

    test("a record is gone after its TTL, counted from the claim, and completing an expired claim stores nothing", async () => {
      const store = make();
      const key = `sb:idem:${name}-ttl`;
      await store.claim(key, running("a"), 2000);
      await wait(200);
      await store.complete(key, done("a"));
      expect(await store.claim(key, running("b"), 2000)).toEqual(done("a"));
      await wait(2000); // time is the subject: past 2 s after the first claim, though completed later
      expect(await store.claim(key, running("b"), 300)).toBeUndefined();
      await wait(400);
      await store.complete(key, done("b"));
      expect(await store.claim(key, running("c"), 300)).toBeUndefined();
    });
  });
}

test("the memory store keeps at most its limit, dropping expired entries first, then the oldest", async () => {
  let now = 0;
  const store = new MemoryIdempotencyStore(3, () => now);
  await store.claim("old", running("o"), 10);
  await store.claim("k1", running("1"), 1000);
  await store.claim("k2", running("2"), 1000);
  now = 20;
  await store.claim("k3", running("3"), 1000);
  expect(store.size).toBe(3);
  expect(await store.claim("k1", running("x"), 1000)).toEqual(running("1"));
  await store.claim("k4", running("4"), 1000);
  expect(store.size).toBe(3);
  expect(await store.claim("k1", running("y"), 1000)).toBeUndefined();
});
