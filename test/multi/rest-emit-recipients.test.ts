/**
 * A REST emit's recipients, as the admin channel's Live events panel shows them, with two
 * Switchboard processes on one private redis-server: the `emit` stream event carries the same
 * cluster-wide number as the REST answer (SPEC §7), also when the only recipient is connected to
 * the other instance (the sending instance alone would count 0).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminSocket, eventually, get } from "../helpers/cluster.ts";
import { prepareInstances, restEmit, startInstance, type Instance } from "../helpers/instances.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

let redis: TestRedis;
let a: Instance;
let b: Instance;
let remote: TestClient;

beforeAll(async () => {
  await prepareInstances();
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, PRESENCE_TTL_MS: "1500" };
  [a, b] = await Promise.all([startInstance("re-a", env), startInstance("re-b", env)]);
  await Promise.all([a, b].map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
  remote = await b.client({ sub: "remote-user" });
  expect(await remote.request("join", { rooms: ["only-remote"] })).toMatchObject({ ok: true });
  // Instance A counts B's members from B's presence records, published within a flush interval.
  await eventually(async () => expect(await get(a, "/api/rooms/only-remote")).toMatchObject({ size: 1 }));
}, 60_000);

afterAll(async () => {
  remote?.close();
  await Promise.all([a, b].filter(Boolean).map((i) => i.stop()));
  await redis?.stop();
});

describe("REST emit recipients in the admin channel", () => {
  test("a REST emit to a room whose only member is on the other instance shows recipients 1 in the emit event, as the answer says", async () => {
    const admin = await adminSocket(a);
    await admin.waitForEvent("snapshot", 5000);
    const answer = await restEmit(a, { to: { room: "only-remote" }, event: "to-remote-room" });
    expect(answer).toMatchObject({ status: 202, body: { recipients: 1 } });
    expect((await remote.waitForEvent("to-remote-room")).event).toBe("to-remote-room");
    const emitted = await admin.waitFor((f) => f.event === "emit" && f.data.event === "to-remote-room", 5000, "the emit event");
    expect(emitted.data).toMatchObject({ instanceId: "re-a", target: { room: "only-remote" }, recipients: 1, by: "static:admin" });
    admin.close();
  });

  test("the other instance's admin channel shows the same cluster-wide number for a REST emit to a client", async () => {
    const admin = await adminSocket(b);
    await admin.waitForEvent("snapshot", 5000);
    const answer = await restEmit(a, { to: { client: remote.id }, event: "to-remote-client" });
    expect(answer).toMatchObject({ status: 202, body: { recipients: 1 } });
    await remote.waitForEvent("to-remote-client");
    const emitted = await admin.waitFor((f) => f.event === "emit" && f.data.event === "to-remote-client", 5000, "the emit event from the other instance");
    expect(emitted.data).toMatchObject({ instanceId: "re-a", target: { client: remote.id }, recipients: 1 });
    admin.close();
  });

  test("a REST emit that reaches nobody shows recipients 0 in the answer and the emit event", async () => {
    const admin = await adminSocket(a);
    await admin.waitForEvent("snapshot", 5000);
    expect(await restEmit(a, { to: { room: "nobody-here" }, event: "to-nobody" })).toMatchObject({ status: 202, body: { recipients: 0 } });
    const emitted = await admin.waitFor((f) => f.event === "emit" && f.data.event === "to-nobody", 5000, "the emit event");
    expect(emitted.data.recipients).toBe(0);
    admin.close();
  });
});
