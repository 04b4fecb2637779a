/**
 * Everything that runs on one Redis node, against a real 3-node Redis Cluster started by the
 * test: the broker contract suite (outage included: every node killed and restarted), exact
 * fan-out across three Switchboard processes (REDIS_CLUSTER_NODES) from REST and from the
 * emitter, and the cluster view (presence scripts and keys hash-tagged per instance, operator
 * commands, the admin feed, the audit log). Skipped, with a message naming the package, when
 * `redis-cli` is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisBroker } from "../../server/broker/redis.ts";
import { createEmitter, type Emitter } from "../../shared/emitter.ts";
import { brokerContract } from "../contract/broker.contract.ts";
import { adminSocket, call, eventually, get, sortedIds } from "../helpers/cluster.ts";
import { prepareInstances, restEmit, startInstance, type Instance } from "../helpers/instances.ts";
import { MISSING_CLI, redisCliBinary, startRedisCluster, type TestRedisCluster } from "../helpers/redis-cluster.ts";
import type { TestClient } from "../helpers/ws-client.ts";

const available = redisCliBinary() !== undefined;
if (!available) console.warn(MISSING_CLI);

let cluster: TestRedisCluster;

describe.skipIf(!available)("Redis Cluster (3 nodes)", () => {
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(() => cluster?.stop());

  const fast = { reconnect: { minDelayMs: 20, maxDelayMs: 200 }, startTimeoutMs: 5000 };
  brokerContract("redis cluster", () => ({
    create: () => new RedisBroker({ clusterNodes: cluster.nodes, ...fast }),
    outage: { down: () => cluster.kill(), up: () => cluster.restart() },
  }));

  describe("three instances on the cluster", () => {
    type Label = "a1" | "a2" | "b1";
    const ALL: Label[] = ["a1", "a2", "b1"];
    const LAYOUT: Record<Label, [number, string, string[]]> = { a1: [0, "alice", ["r1"]], a2: [1, "alice", ["r1", "r2"]], b1: [2, "bob", ["r2"]] };
    let instances: Instance[] = [];
    let emitter: Emitter;
    const clients = {} as Record<Label, TestClient>;
    const id = (label: Label) => clients[label].id;

    beforeAll(async () => {
      await prepareInstances();
      const env = { REDIS_CLUSTER_NODES: cluster.nodes.join(","), PRESENCE_TTL_MS: "1500" };
      instances = await Promise.all(["rc-a", "rc-b", "rc-c"].map((name) => startInstance(name, env)));
      await Promise.all(instances.map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 10_000, "broker connected")));
      for (const label of ALL) {
        const [at, user, rooms] = LAYOUT[label];
        clients[label] = await instances[at]!.client({ sub: user });
        expect(await clients[label].request("join", { rooms })).toMatchObject({ ok: true });
      }
      emitter = createEmitter({ clusterNodes: cluster.nodes });
    }, 60_000);

    afterAll(async () => {
      for (const client of Object.values(clients)) client.close();
      await emitter?.shutdown();
      expect(await Promise.all(instances.map((i) => i.stop()))).toEqual(instances.map(() => 0));
    });

    /** Sends every case then a broadcast fence; once every client has the fence, counts are final (one publisher's messages stay in order). */
    async function exactlyOnce(source: string, send: (event: string, to: object, exclude?: string[]) => Promise<unknown>): Promise<void> {
      const cases: Array<[string, object, Label[], Label[]?]> = [
        ["client", { client: id("b1") }, ["b1"]], ["user", { user: "alice" }, ["a1", "a2"]], ["user-ex", { user: "alice" }, ["a2"], ["a1"]],
        ["room", { room: "r1" }, ["a1", "a2"]], ["rooms-ex", { rooms: ["r1", "r2"] }, ["a1", "b1"], ["a2"]], ["all-ex", { broadcast: true }, ["a1", "a2"], ["b1"]],
      ];
      for (const [name, to, , exclude] of cases) await send(`${source}:${name}`, to, exclude?.map(id));
      await send(`${source}:fence`, { broadcast: true });
      await Promise.all(ALL.map((label) => clients[label].waitForEvent(`${source}:fence`, 5000)));
      const wrong: string[] = [];
      for (const [name, , want] of cases) for (const label of ALL) {
        const got = clients[label].frames.filter((f) => f.event === `${source}:${name}`).length;
        if (got !== (want.includes(label) ? 1 : 0)) wrong.push(`${name} → ${label}: ${got}`);
      }
      expect(wrong).toEqual([]);
    }

    test("REST emit on each instance: every target reaches the right clients exactly once", async () => {
      for (const [n, instance] of instances.entries()) {
        await exactlyOnce(`rest${n}`, async (event, to, exclude) => expect((await restEmit(instance, { to, event, exclude })).status).toBe(202));
      }
    });

    test("the emitter on the cluster: every target exactly once", async () => {
      await exactlyOnce("emitter", async (event, to: any, exclude) => {
        if ("client" in to) return emitter.toClient(to.client, event);
        if ("user" in to) return emitter.toUser(to.user, event, undefined, { exclude });
        if ("room" in to) return emitter.toRoom(to.room, event, undefined, { exclude });
        if ("rooms" in to) return emitter.toRoom(to.rooms, event, undefined, { exclude });
        return emitter.broadcast(event, undefined, { exclude });
      });
    });

    test("the cluster view works on the cluster: clients, stats, recipients, operator commands, admin events, audit", async () => {
      const c = instances[2]!;
      // Presence reaches Redis within a flush interval: wait until every instance sees everyone.
      for (const instance of instances) await eventually(async () => expect(sortedIds((await get(instance, "/api/clients?limit=100")).items)).toEqual(ALL.map(id).sort()));
      expect(await get(instances[0]!, "/api/stats")).toMatchObject({ instances: 3, connections: 3, users: 2 });
      expect((await get(instances[1]!, "/api/rooms?limit=100")).items).toEqual(expect.arrayContaining([{ name: "r1", size: 2, history: false }, { name: "r2", size: 2, history: false }]));
      expect((await call(c, "POST", "/api/emit?dryRun=true", { to: { user: "alice" }, event: "e", exclude: [id("a2")] })).body.recipients).toBe(1);

      const admin = await adminSocket(instances[0]!);
      const late = await instances[1]!.client({ sub: "late" });
      expect((await admin.waitFor((f) => f.event === "client:authenticated" && f.data.clientId === late.id, 5000)).data.instanceId).toBe("rc-b");
      expect(await call(instances[0]!, "DELETE", `/api/clients/${late.id}`)).toEqual({ status: 200, body: { disconnected: late.id } });
      expect((await late.waitClosed()).code).toBe(4007);
      admin.close();

      await restEmit(instances[1]!, { to: { room: "r2" }, event: "audited" });
      expect((await get(c, "/api/audit?limit=1")).items).toMatchObject([{ event: "audited", recipients: 2 }]);
    });
  });
});
