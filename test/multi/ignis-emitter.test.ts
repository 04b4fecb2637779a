/**
 * SPEC §3.1: an Ignis `WebSocketEmitter` publishing into the same Redis reaches Switchboard's
 * clients — tested with the published upstream package itself (`@venizia/ignis-helpers`, a dev
 * dependency for the benchmarks), in its own process, against two Switchboard instances.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { waitUntil, type TestClient } from "../helpers/ws-client.ts";

let redis: TestRedis;
let a: TestServer;
let b: TestServer;
let scratch: string;

beforeAll(async () => {
  redis = await startRedis();
  const options = { redisUrl: redis.url, allowedRooms: ["lobby"] };
  [a, b] = await Promise.all([startServer(options), startServer(options)]);
  await waitUntil(() => a.sb.broker.connected && b.sb.broker.connected, 5000, "brokers connected");
  scratch = mkdtempSync(join(tmpdir(), "ignis-emitter-"));
});

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function ignisEmit(calls: unknown[]): Promise<void> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../fixtures/ignis-emitter.ts"), redis.url, JSON.stringify(calls)], {
    cwd: scratch,
    stdout: "pipe",
    stderr: "pipe",
  });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`ignis emitter exited ${code}: ${await new Response(proc.stderr).text()}`);
}

describe("the upstream Ignis WebSocketEmitter", () => {
  test("toRoom (with exclude), toUser, toClient and broadcast reach the right clients on every instance, once", async () => {
    const onA = await a.client({ sub: "ann" });
    const onB = await b.client({ sub: "bob" });
    const other = await b.client({ sub: "cat" });
    for (const c of [onA, onB, other]) await c.request("join", { rooms: ["lobby"] });
    await ignisEmit([
      { method: "toRoom", args: { room: "lobby", event: "room", data: { n: 1 }, exclude: [other.id] } },
      { method: "toUser", args: { userId: "bob", event: "user", data: { n: 2 } } },
      { method: "toClient", args: { clientId: onA.id, event: "client", data: { n: 3 } } },
      { method: "broadcast", args: { event: "all", data: { n: 4 } } },
    ]);
    for (const c of [onA, onB, other]) await c.waitForEvent("all", 5000);
    const got = (c: TestClient) => c.frames.filter((f) => ["room", "user", "client", "all"].includes(f.event)).map((f) => f.event);
    expect(got(onA)).toEqual(["room", "client", "all"]);
    expect(got(onB)).toEqual(["room", "user", "all"]);
    expect(got(other)).toEqual(["all"]);
    expect(onA.frames.find((f) => f.event === "room")!.data).toEqual({ n: 1 });
    for (const c of [onA, onB, other]) c.close();
  }, 30_000);
});
