/** The presence store contract against the memory store and the Redis store (a private redis-server). */
import { afterAll, beforeAll } from "bun:test";
import { RedisBroker } from "../../server/broker/redis.ts";
import { RedisPresenceStore } from "../../server/presence/redis-store.ts";
import { MemoryPresenceStore } from "../../server/presence/store.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { presenceStoreContract } from "./presence-store.contract.ts";

presenceStoreContract("memory", () => ({
  create: async () => {
    const store = new MemoryPresenceStore();
    return [store, store];
  },
}));

let redis: TestRedis;
const brokers: RedisBroker[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  await redis.stop();
});

presenceStoreContract("redis", () => ({
  create: async () => {
    const make = async (id: string) => {
      const broker = new RedisBroker({ url: redis.url, startTimeoutMs: 3000 });
      brokers.push(broker);
      await broker.start();
      return new RedisPresenceStore(broker, id);
    };
    return [await make("ia"), await make("ib")];
  },
}));
