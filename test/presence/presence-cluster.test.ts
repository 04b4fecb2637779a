/**
 * Presence across three Switchboard processes on a private redis-server (SPEC §12): every member
 * on every instance sees each join and leave once; a user with tabs on two instances is one
 * member; an instance killed with SIGKILL has its members taken out within PRESENCE_TTL_MS by
 * the survivors, each leave sent once (not once per survivor). Raw protocol frames throughout.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "../helpers/cluster.ts";
import { prepareInstances, startInstance, type Instance } from "../helpers/instances.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import type { Frame, TestClient } from "../helpers/ws-client.ts";

const TTL_MS = 1500;
let redis: TestRedis;
let a: Instance;
let b: Instance;
let c: Instance;
const sockets: TestClient[] = [];

beforeAll(async () => {
  await prepareInstances();
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, PRESENCE_TTL_MS: String(TTL_MS), PRESENCE_ROOMS: "crew-*", PRESENCE_LEAVE_GRACE_MS: "300", DEFAULT_ROOMS: "" };
  [a, b, c] = await Promise.all([startInstance("pr-a", env), startInstance("pr-b", env), startInstance("pr-c", env)]);
  await Promise.all([a, b, c].map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.all([a, b, c].map((i) => i?.proc.exitCode === null && i.stop()));
  await redis?.stop();
});

async function joinOn(instance: Instance, sub: string, room: string): Promise<TestClient> {
  const client = await instance.client({ sub, info: { name: sub.toUpperCase() } });
  sockets.push(client);
  const ack = await client.request("join", { rooms: [room] });
  expect(ack.result.joined).toEqual([room]);
  return client;
}

const count = (c: TestClient, event: string, match: (f: Frame) => boolean) => c.frames.filter((f) => f.event === event && match(f)).length;

describe("presence across instances", () => {
  test("a join and a leave are seen once by every member on every instance", async () => {
    const room = "crew-1";
    const onA = await joinOn(a, "ann", room);
    const onB = await joinOn(b, "ben", room);
    await onA.waitFor((f) => f.event === "presence:join" && f.data.userId === "ben", 5000);
    const newcomer = await joinOn(c, "cat", room);
    for (const watcher of [onA, onB]) {
      const join = await watcher.waitFor((f) => f.event === "presence:join" && f.data.userId === "cat", 5000);
      expect(join.data).toEqual({ room, userId: "cat", clientId: newcomer.id, info: { name: "CAT" } });
    }
    await newcomer.request("leave", { rooms: [room] });
    for (const watcher of [onA, onB]) await watcher.waitFor((f) => f.event === "presence:leave" && f.data.userId === "cat", 5000);
    await onA.expectNone(() => false, 300); // time for any duplicate to arrive
    for (const watcher of [onA, onB]) {
      expect(count(watcher, "presence:join", (f) => f.data.userId === "cat")).toBe(1);
      expect(count(watcher, "presence:leave", (f) => f.data.userId === "cat")).toBe(1);
    }
    const roster = await onB.request("presence", { room });
    expect(roster.result.members.map((m: { userId: string }) => m.userId).sort()).toEqual(["ann", "ben"]);
    const rest = await call(c, "GET", `/api/rooms/${room}/presence`);
    expect(rest.body.total).toBe(2);
  });

  test("a user with tabs on two instances is one member; closing one tab sends nothing, closing both sends one leave", async () => {
    const room = "crew-2";
    const watcher = await joinOn(a, "wes", room);
    const tab1 = await joinOn(b, "tia", room);
    const tab2 = await joinOn(c, "tia", room);
    await watcher.waitFor((f) => f.event === "presence:join" && f.data.userId === "tia", 5000);
    const roster = await watcher.request("presence", { room });
    const tia = roster.result.members.find((m: { userId: string }) => m.userId === "tia");
    expect(tia.clientIds.sort()).toEqual([tab1.id, tab2.id].sort());
    tab1.close();
    await watcher.expectNone((f) => f.event === "presence:leave", 800);
    tab2.close();
    await watcher.waitFor((f) => f.event === "presence:leave" && f.data.userId === "tia", 5000);
    await watcher.expectNone(() => false, 300);
    expect(count(watcher, "presence:join", (f) => f.data.userId === "tia")).toBe(1);
    expect(count(watcher, "presence:leave", (f) => f.data.userId === "tia")).toBe(1);
  });

  test("an instance killed with SIGKILL: its members leave within PRESENCE_TTL_MS, each leave sent once", async () => {
    const room = "crew-3";
    const onA = await joinOn(a, "abe", room);
    const onB = await joinOn(b, "bea", room);
    await joinOn(c, "doomed-1", room);
    await joinOn(c, "doomed-2", room);
    await onA.waitFor((f) => f.event === "presence:join" && f.data.userId === "doomed-2", 5000);
    const killedAt = Date.now();
    c.proc.kill("SIGKILL");
    await c.proc.exited;
    for (const watcher of [onA, onB]) {
      for (const who of ["doomed-1", "doomed-2"]) await watcher.waitFor((f) => f.event === "presence:leave" && f.data.userId === who, TTL_MS * 3);
    }
    const tookMs = Date.now() - killedAt;
    // The SPEC bound, with slack for two busy CPUs delivering the frames.
    expect(tookMs).toBeLessThan(TTL_MS + 1000);
    await onA.expectNone(() => false, TTL_MS); // a second survivor's sweep would have sent duplicates by now
    for (const watcher of [onA, onB]) {
      for (const who of ["doomed-1", "doomed-2"]) expect(count(watcher, "presence:leave", (f) => f.data.userId === who)).toBe(1);
    }
    const roster = await onA.request("presence", { room });
    expect(roster.result.members.map((m: { userId: string }) => m.userId).sort()).toEqual(["abe", "bea"]);
  }, 30_000);
});
