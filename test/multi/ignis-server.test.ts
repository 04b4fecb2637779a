/**
 * A mixed cluster: the published Ignis server helper (`@venizia/ignis-helpers`, run by the
 * benchmark's Ignis server) and Switchboard on one Redis. Room messages cross in both directions
 * and reach each side's clients once — the migration path of a team moving from Ignis.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { startServer, TEST_SECRET, type TestServer } from "../helpers/server.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";

let redis: TestRedis;
let sb: TestServer;
let ignis: ReturnType<typeof Bun.spawn>;
let ignisPort = 0;
let scratch: string;

async function readyPort(proc: ReturnType<typeof Bun.spawn>): Promise<number> {
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const line = text.split("\n").find((l) => l.startsWith("BENCH_READY "));
    if (line) return JSON.parse(line.slice("BENCH_READY ".length)).port;
  }
  throw new Error(`the Ignis server did not start: ${text}`);
}

beforeAll(async () => {
  redis = await startRedis();
  sb = await startServer({ redisUrl: redis.url, allowedRooms: ["lobby"] });
  scratch = mkdtempSync(join(tmpdir(), "ignis-server-"));
  ignis = Bun.spawn([process.execPath, join(import.meta.dir, "../../bench/servers/ignis.ts")], {
    cwd: scratch,
    env: { ...process.env, BENCH_PORT: "0", BENCH_SECRET: TEST_SECRET, REDIS_URL: redis.url },
    stdout: "pipe",
    stderr: "ignore",
  });
  ignisPort = await readyPort(ignis);
  await waitUntil(() => sb.sb.broker.connected, 5000, "broker connected");
}, 30_000);

afterAll(async () => {
  ignis?.kill("SIGTERM");
  await ignis?.exited;
  await sb?.stop();
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("Ignis and Switchboard instances on one Redis", () => {
  test("a room message crosses from Switchboard to the Ignis instance's client and back, once each way", async () => {
    const onIgnis = await TestClient.authenticated(`ws://127.0.0.1:${ignisPort}/ws`, await sb.token({ sub: "ignis-user" }));
    onIgnis.send({ event: "join", data: { rooms: ["lobby"] } });
    const roomSize = async () => (await (await fetch(`http://127.0.0.1:${ignisPort}/bench/room?name=lobby`)).json()).size as number;
    for (let i = 0; i < 100 && (await roomSize()) < 1; i++) await Bun.sleep(20);
    expect(await roomSize()).toBe(1);
    const onSb = await sb.client({ sub: "sb-user" });
    await onSb.request("join", { rooms: ["lobby"] });

    await sb.sb.toRoom("lobby", "from-switchboard", { n: 1 });
    const res = await fetch(`http://127.0.0.1:${ignisPort}/bench/emit`, { method: "POST", body: JSON.stringify({ to: { room: "lobby" }, event: "from-ignis", data: { n: 2 } }) });
    expect(res.status).toBe(202);
    for (const c of [onIgnis, onSb]) {
      await c.waitForEvent("from-switchboard", 5000);
      await c.waitForEvent("from-ignis", 5000);
    }
    await sb.sb.toRoom("lobby", "end", 0);
    await onIgnis.waitForEvent("end", 5000);
    await onSb.waitForEvent("end", 5000);
    for (const c of [onIgnis, onSb]) {
      expect(c.frames.filter((f) => f.event === "from-switchboard").map((f) => f.data)).toEqual([{ n: 1 }]);
      expect(c.frames.filter((f) => f.event === "from-ignis").map((f) => f.data)).toEqual([{ n: 2 }]);
    }
    onIgnis.close();
    onSb.close();
  }, 30_000);
});
