/**
 * @module shared/redis-publish
 * Where a PUBLISH goes, for the Redis broker and the emitter alike. On a single node, the
 * connection itself. On a Redis Cluster, ioredis sends a keyless command such as PUBLISH to a
 * random master, so two publishes from one sender could overtake each other on the cluster bus;
 * pinning every publish to one master (the connected master with the lowest address, a stable
 * choice) keeps publish order; the pin moves only when that master is down.
 */
import type { Cluster, Redis } from "ioredis";

function isCluster(conn: Redis | Cluster): conn is Cluster {
  return "nodes" in conn && typeof conn.nodes === "function";
}

function address(r: Redis): string {
  return `${r.options.host}:${String(r.options.port).padStart(5, "0")}`;
}

/**
 * The connection to PUBLISH on now, or why there is none. Only a ready connection is used, so a
 * publish while Redis is down is refused at once instead of waiting in a queue.
 */
export function publisherFor(conn: Redis | Cluster): { redis: Redis } | { down: string } {
  if (!isCluster(conn)) return conn.status === "ready" ? { redis: conn } : { down: conn.status };
  if (conn.status !== "ready") return { down: `cluster ${conn.status}` };
  const masters = conn.nodes("master").filter((m) => m.status === "ready").sort((x, y) => address(x).localeCompare(address(y)));
  return masters[0] ? { redis: masters[0] } : { down: "no cluster master connected" };
}

/**
 * A Cluster connects to its nodes lazily; connecting every master up front (after each `ready`)
 * makes the pinned master the same from the first publish on.
 */
export async function connectMasters(conn: Redis | Cluster): Promise<void> {
  if (!isCluster(conn)) return;
  await Promise.all(conn.nodes("master").filter((m) => m.status === "wait").map((m) => m.connect().catch(() => undefined)));
}
