/**
 * Three Switchboard processes on one private redis-server. Every targeting operation (client,
 * user, room, several rooms, broadcast, each with and without `exclude`) is sent from every
 * source (REST on each instance, the emitter on Bun and on Node.js, the CLI, a raw Ignis
 * PUBLISH) and must reach exactly the right clients on every instance, once each. A source's
 * batch ends with a broadcast fence: Redis delivers in publish order on each instance's
 * subscription, so once every client has the fence, every earlier frame has arrived and the
 * counts are final.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Redis } from "ioredis";
import { createEmitter, type Emitter } from "../../shared/emitter.ts";
import { prepareInstances, restEmit, ROOT, startInstance, type Instance } from "../helpers/instances.ts";
import { emitWithNode, type EmitterCall } from "../helpers/node-emitter.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

type Label = "a1" | "a2" | "a3" | "b1" | "b2" | "c1";
type To = { client: Label } | { user: string } | { room: string } | { rooms: string[] } | { broadcast: true };
interface Case { name: string; to: To; exclude?: Label[]; expect: Label[] }

const ALL: Label[] = ["a1", "a2", "a3", "b1", "b2", "c1"];
/** label → instance index, user, rooms */
const LAYOUT: Record<Label, [number, string, string[]]> = {
  a1: [0, "alice", ["r1", "r2"]], a2: [1, "alice", ["r1"]], a3: [2, "alice", ["r2"]],
  b1: [0, "bob", ["r2"]], b2: [2, "bob", ["r1", "r2"]], c1: [1, "carol", []],
};

const CASES: Case[] = [
  { name: "client-remote", to: { client: "a3" }, expect: ["a3"] },
  { name: "client-a1", to: { client: "a1" }, expect: ["a1"] },
  { name: "user", to: { user: "alice" }, expect: ["a1", "a2", "a3"] },
  { name: "user-exclude", to: { user: "alice" }, exclude: ["a2"], expect: ["a1", "a3"] },
  { name: "room", to: { room: "r1" }, expect: ["a1", "a2", "b2"] },
  { name: "room-exclude", to: { room: "r1" }, exclude: ["a1"], expect: ["a2", "b2"] },
  { name: "rooms", to: { rooms: ["r1", "r2"] }, expect: ["a1", "a2", "a3", "b1", "b2"] },
  { name: "rooms-exclude", to: { rooms: ["r1", "r2"] }, exclude: ["b2", "a3"], expect: ["a1", "a2", "b1"] },
  { name: "broadcast", to: { broadcast: true }, expect: ALL },
  { name: "broadcast-exclude", to: { broadcast: true }, exclude: ["c1", "a1"], expect: ["a2", "a3", "b1", "b2"] },
];

let redis: TestRedis;
let instances: Instance[] = [];
let emitter: Emitter;
const clients = {} as Record<Label, TestClient>;
const id = (label: Label) => clients[label].id;
const ids = (labels: Label[] | undefined) => labels?.map(id);

beforeAll(async () => {
  await prepareInstances();
  redis = await startRedis();
  instances = await Promise.all(["sb-a", "sb-b", "sb-c"].map((name) => startInstance(name, { REDIS_URL: redis.url })));
  await Promise.all(instances.map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
  for (const label of ALL) {
    const [at, user, rooms] = LAYOUT[label];
    clients[label] = await instances[at]!.client({ sub: user });
    if (rooms.length > 0) expect(await clients[label].request("join", { rooms })).toMatchObject({ ok: true, result: { joined: rooms } });
  }
  emitter = createEmitter({ redisUrl: redis.url });
}, 60_000);

afterAll(async () => {
  for (const client of Object.values(clients)) client.close();
  await emitter?.shutdown();
  const codes = await Promise.all(instances.map((i) => i.stop()));
  expect(codes).toEqual(instances.map(() => 0));
  await redis?.stop();
});

/** Waits for the fence on every client, then checks each event of the batch arrived exactly where expected, once. */
async function checkBatch(source: string, cases: Case[], fence: () => Promise<unknown>): Promise<void> {
  await fence();
  await Promise.all(ALL.map((label) => clients[label].waitForEvent(`${source}:fence`, 5000)));
  const wrong: string[] = [];
  for (const c of cases) {
    for (const label of ALL) {
      const got = clients[label].frames.filter((f) => f.event === `${source}:${c.name}`);
      const want = c.expect.includes(label) ? 1 : 0;
      if (got.length !== want) wrong.push(`${c.name} → ${label}: ${got.length} (want ${want})`);
      for (const f of got) expect(f.data).toEqual({ source, case: c.name });
    }
  }
  expect(wrong).toEqual([]);
}

function restBody(source: string, c: Case): unknown {
  const to = "client" in c.to ? { client: id(c.to.client) } : c.to;
  return { to, event: `${source}:${c.name}`, data: { source, case: c.name }, exclude: ids(c.exclude) };
}

function emitterCall(source: string, c: Case): EmitterCall {
  const [event, data, opts] = [`${source}:${c.name}`, { source, case: c.name }, { exclude: ids(c.exclude) }];
  if ("client" in c.to) return { method: "toClient", args: [id(c.to.client), event, data] };
  if ("user" in c.to) return { method: "toUser", args: [c.to.user, event, data, opts] };
  if ("room" in c.to) return { method: "toRoom", args: [c.to.room, event, data, opts] };
  if ("rooms" in c.to) return { method: "toRoom", args: [c.to.rooms, event, data, opts] };
  return { method: "broadcast", args: [event, data, opts] };
}

function cliArgs(source: string, c: Case): string[] {
  const to = "client" in c.to ? ["--client", id(c.to.client)] : "user" in c.to ? ["--user", c.to.user]
    : "room" in c.to ? ["--room", c.to.room] : "rooms" in c.to ? c.to.rooms.flatMap((r) => ["--room", r]) : ["--broadcast"];
  const exclude = c.exclude ? ["--exclude", ids(c.exclude)!.join(",")] : [];
  return [...to, "--event", `${source}:${c.name}`, "--data", JSON.stringify({ source, case: c.name }), ...exclude];
}

async function runCli(args: string[]): Promise<string> {
  const proc = Bun.spawn([process.execPath, `${ROOT}/server/cli.ts`, "emit", ...args], { env: { ...process.env, REDIS_URL: redis.url }, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout as ReadableStream<Uint8Array>).text(), new Response(proc.stderr as ReadableStream<Uint8Array>).text()]);
  if (code !== 0) throw new Error(`switchboard emit ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

describe("three instances on one Redis", () => {
  for (const [n, name] of ["A", "B", "C"].entries()) {
    test(`REST POST /api/emit on instance ${name}: every target reaches the right clients on every instance exactly once`, async () => {
      const source = `rest-${name}`;
      for (const c of CASES) expect((await restEmit(instances[n]!, restBody(source, c))).status).toBe(202);
      await checkBatch(source, CASES, () => restEmit(instances[n]!, { to: { broadcast: true }, event: `${source}:fence` }));
    });
  }

  test("the emitter (on Bun): every target, exactly once", async () => {
    for (const c of CASES) {
      const { method, args } = emitterCall("emitter", c);
      expect(await (emitter[method] as (...a: unknown[]) => Promise<number>)(...args)).toBe(3);
    }
    await checkBatch("emitter", CASES, () => emitter.broadcast("emitter:fence"));
  });

  test("the emitter on Node.js: every target, exactly once", async () => {
    await emitWithNode(redis.url, [...CASES.map((c) => emitterCall("node", c)), { method: "broadcast", args: ["node:fence"] }]);
    await checkBatch("node", CASES, async () => undefined);
  }, 20_000);

  test("the CLI `switchboard emit`: client, user, room and several rooms with --exclude, broadcast", async () => {
    const picked = CASES.filter((c) => ["client-remote", "user-exclude", "room-exclude", "rooms-exclude", "broadcast-exclude"].includes(c.name));
    const outputs = await Promise.all(picked.map((c) => runCli(cliArgs("cli", c))));
    expect(outputs[0]).toContain("(3 subscribers on Redis)");
    await checkBatch("cli", picked, () => runCli(["--broadcast", "--event", "cli:fence"]));
  }, 20_000);

  test("a raw PUBLISH of an Ignis envelope (what the upstream WebSocketEmitter sends) reaches clients on every instance", async () => {
    const raw = new Redis(redis.url);
    const ignis: Array<[string, Case, Record<string, unknown>]> = [
      ["ws:room:r1", CASES[4]!, { type: "room", target: "r1" }],
      ["ws:room:r1", CASES[5]!, { type: "room", target: "r1", exclude: ids(["a1"]) }],
      ["ws:user:alice", CASES[2]!, { type: "user", target: "alice" }],
      ["ws:broadcast", CASES[8]!, { type: "broadcast" }],
    ];
    const clientCase = CASES[0]!;
    ignis.push([`ws:client:${id("a3")}`, clientCase, { type: "client", target: id("a3") }]);
    for (const [channel, c, envelope] of ignis) {
      await raw.publish(channel, JSON.stringify({ serverId: "emitter", ...envelope, event: `raw:${c.name}`, data: { source: "raw", case: c.name } }));
    }
    await checkBatch("raw", ignis.map(([, c]) => c), () => raw.publish("ws:broadcast", JSON.stringify({ serverId: "emitter", type: "broadcast", event: "raw:fence" })));
    await raw.quit();
  });

  test("envelopes that are malformed or from an instance's own serverId are dropped without harm", async () => {
    const raw = new Redis(redis.url);
    await raw.publish("ws:broadcast", "not json");
    await raw.publish("ws:broadcast", JSON.stringify({ type: "broadcast", event: "raw2:no-server-id" }));
    await raw.publish("ws:broadcast", JSON.stringify({ serverId: "sb-a", type: "broadcast", event: "raw2:own-echo" }));
    await raw.publish("ws:broadcast", JSON.stringify({ serverId: "emitter", type: "broadcast", event: "raw2:fence" }));
    await Promise.all(ALL.map((label) => clients[label].waitForEvent("raw2:fence", 5000)));
    const [a1, a2] = [clients.a1.frames.map((f) => f.event), clients.a2.frames.map((f) => f.event)];
    expect(a1).not.toContain("raw2:no-server-id");
    expect(a1).not.toContain("raw2:own-echo"); // on sb-a: its own serverId
    expect(a2).toContain("raw2:own-echo"); // on sb-b: another instance's message
    await raw.quit();
    expect(instances.every((i) => i.proc.exitCode === null)).toBe(true);
  });
});
