/**
 * @module server/broker/select
 * Which broker an instance runs on when the application did not inject one: Redis Cluster when
 * `REDIS_CLUSTER_NODES` is set (it wins over `REDIS_URL`, SPEC §2 "instead of a single node"),
 * a single Redis node when `REDIS_URL` is set, else the in-process memory broker.
 */
import type { Logger } from "../core/types.ts";
import type { Broker } from "./broker.ts";
import { MemoryBroker } from "./memory.ts";
import { RedisBroker } from "./redis.ts";

export interface BrokerSettings {
  redisUrl?: string;
  redisClusterNodes?: string[];
  instanceId: string;
}

export function selectBroker(o: BrokerSettings, log: Logger): Broker {
  const connectionName = `switchboard:${o.instanceId}`;
  if (o.redisClusterNodes && o.redisClusterNodes.length > 0) return new RedisBroker({ clusterNodes: o.redisClusterNodes, log, connectionName });
  if (o.redisUrl) return new RedisBroker({ url: o.redisUrl, log, connectionName });
  return new MemoryBroker();
}
