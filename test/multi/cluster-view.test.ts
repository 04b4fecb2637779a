/**
 * The cluster view over Redis with three Switchboard processes on one private redis-server:
 * every instance answers the REST queries (clients with filters and pagination, rooms, stats,
 * instances) for the whole cluster, counts recipients cluster-wide, carries out operator
 * commands on whichever instance holds the client, shares one audit log, and streams other
 * instances' events to its admin channel. Presence is published asynchronously (within a flush
 * interval), so reads that follow a change poll with a deadline.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createClientKeys } from "../../shared/crypto.ts";
import { adminSocket, call, clientWith, eventually, get, sortedIds } from "../helpers/cluster.ts";
import { prepareInstances, restEmit, startInstance, type Instance } from "../helpers/instances.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

type Label = "a1" | "a2" | "a3" | "b1" | "b2" | "c1";
const ALL: Label[] = ["a1", "a2", "a3", "b1", "b2", "c1"];
const NAMES = ["cv-a", "cv-b", "cv-c"];
/** label → instance index, user, rooms; c1 has an encrypted session. */
const LAYOUT: Record<Label, [number, string, string[]]> = {
  a1: [0, "alice", ["r1", "r2"]], a2: [1, "alice", ["r1"]], a3: [2, "alice", ["r2"]],
  b1: [0, "bob", ["r2"]], b2: [2, "bob", ["r1", "r2"]], c1: [1, "carol", []],
};

let redis: TestRedis;
let instances: Instance[] = [];
const clients = {} as Record<Label, TestClient>;
const id = (label: Label) => clients[label].id;
const ids = (labels: Label[]) => labels.map(id).sort();
const A = () => instances[0]!;
const B = () => instances[1]!;
const C = () => instances[2]!;

beforeAll(async () => {
  await prepareInstances();
  redis = await startRedis();
  instances = await Promise.all(NAMES.map((name) => startInstance(name, { REDIS_URL: redis.url, PRESENCE_TTL_MS: "1500" })));
  await Promise.all(instances.map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
  for (const label of ALL) {
    const [at, user, rooms] = LAYOUT[label];
    const instance = instances[at]!;
    clients[label] = label === "c1" ? await clientWith(instance, { sub: user }, { publicKey: (await createClientKeys()).publicKey }) : await instance.client({ sub: user });
    if (rooms.length > 0) expect(await clients[label].request("join", { rooms })).toMatchObject({ ok: true });
  }
  // Presence reaches Redis within a flush interval: wait until every instance sees every client and membership.
  for (const instance of instances) {
    await eventually(async () => {
      expect((await get(instance, "/api/clients?limit=100")).total).toBe(6);
      expect((await get(instance, "/api/rooms?limit=100")).items).toEqual(expect.arrayContaining([{ name: "r1", size: 3, history: false }, { name: "r2", size: 4, history: false }]));
    });
  }
}, 60_000);

afterAll(async () => {
  for (const client of Object.values(clients)) client.close();
  await Promise.all(instances.map((i) => i.stop()));
  await redis?.stop();
});

describe("cluster view over Redis, three instances", () => {
  test("every instance lists every client of the cluster once, with the instance that holds it", async () => {
    for (const instance of instances) {
      const page = await get(instance, "/api/clients?limit=100");
      expect(page).toMatchObject({ total: 6, nextCursor: null });
      expect(sortedIds(page.items)).toEqual(ids(ALL));
      for (const item of page.items) {
        const label = ALL.find((l) => id(l) === item.id)!;
        expect(item).toMatchObject({ instanceId: NAMES[LAYOUT[label][0]], userId: LAYOUT[label][1], state: "authenticated", encrypted: label === "c1" });
        expect(item.rooms).toEqual(expect.arrayContaining(LAYOUT[label][2]));
      }
    }
  });

  test("filters: userId, room, instance, encrypted, q, and combinations", async () => {
    const list = async (query: string) => sortedIds((await get(B(), `/api/clients?limit=100&${query}`)).items);
    expect(await list("userId=alice")).toEqual(ids(["a1", "a2", "a3"]));
    expect(await list("room=r1")).toEqual(ids(["a1", "a2", "b2"]));
    expect(await list("instance=cv-c")).toEqual(ids(["a3", "b2"]));
    expect(await list("instance=cv-b")).toEqual(ids(["a2", "c1"]));
    expect(await list("encrypted=true")).toEqual(ids(["c1"]));
    expect(await list("encrypted=false")).toEqual(ids(["a1", "a2", "a3", "b1", "b2"]));
    expect(await list(`q=${id("a3").slice(0, 12)}`)).toEqual(ids(["a3"]));
    expect(await list("room=r2&userId=bob")).toEqual(ids(["b1", "b2"]));
    expect(await list("instance=nowhere")).toEqual([]);
  });

  test("cursor pagination walks the cluster in id order, without repeats, while clients come and go", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let extra: TestClient | undefined;
    do {
      const page: any = await get(C(), `/api/clients?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
      extra ??= await A().client({ sub: "passer-by" }); // joins mid-walk; may or may not be listed
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(seen);
    expect(seen).toEqual(expect.arrayContaining(ids(ALL)));
    extra!.close();
    await extra!.closed;
    await eventually(async () => expect((await get(C(), "/api/clients?limit=100")).total).toBe(6));
  });

  test("rooms: sizes summed across instances, q filter, pagination, and room detail with its clients", async () => {
    const rooms = await get(A(), "/api/rooms?limit=100");
    expect(rooms.items).toEqual([
      { name: "r1", size: 3, history: false }, { name: "r2", size: 4, history: false }, { name: "ws-default", size: 6, history: false }, { name: "ws-notification", size: 6, history: false },
    ]);
    expect((await get(C(), "/api/rooms?q=r&limit=100")).items.map((r: { name: string }) => r.name)).toEqual(["r1", "r2"]);
    const first = await get(B(), "/api/rooms?limit=3");
    expect(first).toMatchObject({ total: 4, items: [{ name: "r1" }, { name: "r2" }, { name: "ws-default" }] });
    expect((await get(B(), `/api/rooms?limit=3&cursor=${first.nextCursor}`)).items).toEqual([{ name: "ws-notification", size: 6, history: false }]);
    const r2 = await get(B(), "/api/rooms/r2");
    expect(r2).toMatchObject({ name: "r2", size: 4, history: false });
    expect(sortedIds(r2.clients)).toEqual(ids(["a1", "a3", "b1", "b2"]));
    expect((await call(A(), "GET", "/api/rooms/nope")).status).toBe(404);
  });

  test("stats and instances describe the whole cluster on every instance", async () => {
    for (const instance of instances) {
      expect(await get(instance, "/api/stats")).toMatchObject({ instances: 3, connections: 6, authenticated: 6, encrypted: 1, rooms: 4, users: 3 });
      const { items } = await get(instance, "/api/instances");
      expect(items.map((i: { id: string }) => i.id).sort()).toEqual(NAMES);
      for (const item of items) {
        expect(item).toMatchObject({ healthy: true, connections: 2 });
        expect(item.pid).toBe(instances[NAMES.indexOf(item.id)]!.proc.pid);
        expect(typeof item.host).toBe("string");
        expect(item.lastSeen).toBeGreaterThanOrEqual(item.startedAt);
      }
    }
  });

  test("a client on another instance by id; an unknown id is 404", async () => {
    expect(await get(A(), `/api/clients/${id("a3")}`)).toMatchObject({ id: id("a3"), instanceId: "cv-c", userId: "alice" });
    expect((await call(A(), "GET", "/api/clients/not-a-client")).status).toBe(404);
  });

  test("dryRun counts recipients cluster-wide, exactly, for every target form with exclude", async () => {
    const cases: Array<[unknown, Label[]?, number?]> = [
      [{ client: id("a3") }, undefined, 1], [{ user: "alice" }, undefined, 3], [{ user: "alice" }, ["a2", "b1"], 2],
      [{ room: "r1" }, undefined, 3], [{ room: "r1" }, ["a1", "b2"], 1], [{ rooms: ["r1", "r2"] }, undefined, 5],
      [{ rooms: ["r1", "r2"] }, ["b2", "a3"], 3], [{ broadcast: true }, undefined, 6], [{ broadcast: true }, ["c1", "a1", "b2"], 3],
      [{ room: id("b2") }, undefined, 1], [{ client: "gone" }, undefined, 0], [{ user: "nobody" }, undefined, 0],
    ];
    for (const instance of instances) {
      for (const [to, exclude, want] of cases) {
        const body = { to, event: "probe", exclude: exclude?.map(id) };
        const res = await call(instance, "POST", "/api/emit?dryRun=true", body);
        expect({ to, exclude, on: instance.id, ...res.body }).toEqual({ to, exclude, on: instance.id, recipients: want, dryRun: true });
      }
    }
    expect(await restEmit(B(), { to: { room: "r2" }, event: "counted", exclude: [id("a1")] })).toMatchObject({ status: 202, body: { recipients: 3 } });
  });

  test("join and leave on a client's behalf from another instance", async () => {
    expect(await call(A(), "POST", `/api/clients/${id("a3")}/rooms`, { rooms: ["r9"] })).toEqual({ status: 200, body: { joined: ["r9"] } });
    await restEmit(A(), { to: { room: "r9" }, event: "in-r9" });
    expect((await clients.a3.waitForEvent("in-r9")).data).toBeUndefined();
    await eventually(async () => expect(await get(B(), "/api/rooms/r9")).toMatchObject({ size: 1, clients: [{ id: id("a3") }] }));
    expect(await call(B(), "DELETE", `/api/clients/${id("a3")}/rooms/r9`)).toEqual({ status: 200, body: { left: ["r9"] } });
    expect(await call(B(), "DELETE", `/api/clients/${id("a3")}/rooms/r9`)).toEqual({ status: 200, body: { left: [] } });
    await eventually(async () => expect((await call(A(), "GET", "/api/rooms/r9")).status).toBe(404));
    expect((await call(A(), "POST", "/api/clients/not-a-client/rooms", { rooms: ["r9"] })).status).toBe(404);
    expect((await call(A(), "DELETE", "/api/clients/not-a-client/rooms/r9")).status).toBe(404);
  });

  test("the admin channel on one instance streams the events of the others", async () => {
    const admin = await adminSocket(A());
    const dave = await B().client({ sub: "dave" });
    await dave.request("join", { rooms: ["r5"] });
    await restEmit(C(), { to: { room: "r5" }, event: "to-r5" });
    dave.close();
    const from = (event: string, extra: (d: any) => boolean = () => true) =>
      admin.waitFor((f) => f.event === event && extra(f.data), 5000, `${event} from another instance`);
    expect((await from("client:connected", (d) => d.clientId === dave.id)).data.instanceId).toBe("cv-b");
    expect((await from("client:authenticated", (d) => d.clientId === dave.id)).data).toMatchObject({ instanceId: "cv-b", userId: "dave" });
    expect((await from("room:joined", (d) => d.clientId === dave.id && d.room === "r5")).data.instanceId).toBe("cv-b");
    expect((await from("emit", (d) => d.event === "to-r5")).data).toMatchObject({ instanceId: "cv-c", target: { room: "r5" }, by: "static:admin" });
    expect((await from("client:disconnected", (d) => d.clientId === dave.id)).data).toMatchObject({ instanceId: "cv-b", code: 1000 });
    expect((await admin.waitForEvent("stats", 2500)).data.instances).toBe(3);
    admin.close();
    await eventually(async () => expect(await get(A(), "/api/stats")).toMatchObject({ connections: 6, authenticated: 6, users: 3 }));
  });

  test("one audit log for the cluster: emits made on any instance are listed on every instance", async () => {
    await restEmit(A(), { to: { broadcast: true }, event: "audit-a" });
    await restEmit(C(), { to: { user: "bob" }, event: "audit-c" });
    const { items } = await get(B(), "/api/audit?limit=5");
    expect(items.slice(0, 2)).toMatchObject([{ event: "audit-c", recipients: 2, target: { user: "bob" } }, { event: "audit-a", recipients: 6 }]);
  });

  test("DELETE /api/clients/:id on one instance disconnects a client on another with 4007", async () => {
    expect(await call(A(), "DELETE", `/api/clients/${id("b2")}`)).toEqual({ status: 200, body: { disconnected: id("b2") } });
    expect((await clients.b2.waitClosed()).code).toBe(4007);
    await eventually(async () => expect(sortedIds((await get(B(), "/api/clients?limit=100")).items)).not.toContain(id("b2")));
    const started = Date.now();
    expect((await call(A(), "DELETE", "/api/clients/not-a-client")).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1500); // every instance answers "not here" at once; no timeout needed
  });

  test("control traffic never reaches the core's cluster link; a stopped instance removes its presence at once", async () => {
    for (const instance of instances) expect(instance.logs.filter((l) => l.msg === "invalid cluster envelope dropped")).toEqual([]);
    const raw = new Redis(redis.url);
    expect(await raw.exists("sb:{cv-a}:meta", "sb:{cv-a}:clients")).toBe(2);
    expect(await A().stop()).toBe(0);
    expect(await raw.exists("sb:{cv-a}:meta", "sb:{cv-a}:clients", "sb:{cv-a}:rooms", "sb:{cv-a}:users")).toBe(0);
    expect(await raw.smembers("sb:instances")).not.toContain("cv-a");
    await raw.quit();
    await eventually(async () => expect((await get(B(), "/api/stats")).instances).toBe(2), 1000); // well within the 1.5 s TTL
  });
});
