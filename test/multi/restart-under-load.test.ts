/**
 * Redis killed and restarted twice under a steady message load (issue 9; complements
 * outage.test.ts, which checks the outage states with single messages).
 *
 * Two instances in one room. A numbered stream goes in through instance A's REST API every few
 * milliseconds, and a second one straight into Redis from the standalone emitter. Throughout:
 * A's own member receives every REST message (local delivery never pauses); B's member receives
 * both streams with no duplicate and in order, everything sent before each kill and everything
 * sent once both instances reconnected (what is sent during the outage is dropped, never queued
 * and replayed late); neither process crashes or logs anything but the outage; both exit 0.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createEmitter, type Emitter } from "../../shared/emitter.ts";
import { BROKER_DOWN_LOG, BROKER_UP_LOG, restEmit, startRedisPair, type Instance, type RedisPair } from "../helpers/instances.ts";
import type { TestRedis } from "../helpers/redis.ts";
import type { TestClient } from "../helpers/ws-client.ts";

const DOWN = BROKER_DOWN_LOG;
const UP = BROKER_UP_LOG;

let pair: RedisPair;
let redis: TestRedis;
let a: Instance;
let b: Instance;
let x: TestClient;
let y: TestClient;

beforeAll(async () => {
  pair = await startRedisPair("load", "load", ["local", "remote"]);
  ({ redis, a, b, x, y } = pair);
}, 60_000);

afterAll(() => pair?.stop());

/** A numbered stream sent one after the other; remembers which numbers were accepted when. */
class Stream {
  next = 0;
  readonly accepted: number[] = [];
  private running = true;
  private loop?: Promise<void>;

  constructor(private readonly send: (n: number) => Promise<boolean>) {}

  start(): this {
    this.loop = (async () => {
      while (this.running) {
        const n = this.next++;
        if (await this.send(n).catch(() => false)) this.accepted.push(n);
        await Bun.sleep(3); // a steady rate, not a tight loop (time is the subject)
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

const received = (c: TestClient, event: string) => c.frames.filter((f) => f.event === event).map((f) => f.data.n as number);

function expectOrderedUnique(ns: number[], label: string): void {
  expect(new Set(ns).size, `${label}: duplicates`).toBe(ns.length);
  expect(ns.every((n, i) => i === 0 || n > ns[i - 1]!), `${label}: out of order`).toBe(true);
}

/** Waits until 20 more REST messages reached A's member. */
function loadFlows(rest: Stream, label: string): Promise<unknown> {
  const target = rest.next + 20;
  return x.waitFor((f) => f.event === "rest" && f.data.n >= target, 5000, label);
}

/** Waits until `count` lines with `msg` were logged by the instance. */
function logged(i: Instance, msg: string, count: number): Promise<unknown> {
  return i.waitForLog(() => i.logs.filter((l) => l.msg === msg).length >= count, 10_000, `${count} × "${msg}"`);
}

describe("Redis restarted under a steady load", () => {
  test("two kill/restart cycles: no crash, nothing duplicated or reordered, nothing lost outside the outages", async () => {
    const emitter: Emitter = createEmitter({ redisUrl: redis.url });
    const rest = new Stream(async (n) => (await restEmit(a, { to: { room: "load" }, event: "rest", data: { n } })).status === 202).start();
    const direct = new Stream(async (n) => (await emitter.toRoom("load", "direct", { n })) >= 0).start();
    const windows: Array<{ rest: [number, number]; direct: [number, number] }> = [];
    for (let cycle = 1; cycle <= 2; cycle++) {
      await loadFlows(rest, "some load first");
      // The message in flight at the kill (next - 1) may or may not have gone through: it opens the window.
      const before = { rest: rest.next - 1, direct: direct.next - 1 };
      await redis.kill();
      await Promise.all([a, b].map((i) => logged(i, DOWN, cycle)));
      await redis.restart();
      await Promise.all([a, b].map((i) => logged(i, UP, cycle)));
      windows.push({ rest: [before.rest, rest.next], direct: [before.direct, direct.next] });
      await loadFlows(rest, "load after the restart");
    }
    await Promise.all([rest.stop(), direct.stop()]);
    await emitter.broadcast("fence");
    await Promise.all([x, y].map((c) => c.waitForEvent("fence", 5000)));
    await emitter.shutdown();

    // Local delivery on A never paused: every accepted REST message, once, in order.
    expect(received(x, "rest")).toEqual(rest.accepted);
    for (const [c, label] of [[y, "B"], [x, "A"]] as const) {
      expectOrderedUnique(received(c, "rest"), `${label} rest`);
      expectOrderedUnique(received(c, "direct"), `${label} direct`);
    }
    // On B: everything outside the outage windows (from a kill to both instances reconnected).
    const outside = (ns: number[], key: "rest" | "direct") => ns.filter((n) => windows.every((w) => n < w[key][0] || n >= w[key][1]));
    expect(outside(rest.accepted, "rest").filter((n) => !received(y, "rest").includes(n))).toEqual([]);
    expect(outside(direct.accepted, "direct").filter((n) => !received(y, "direct").includes(n))).toEqual([]);

    for (const i of [a, b]) {
      expect(i.proc.exitCode).toBeNull();
      expect(i.logs.filter((l) => l.level >= 50 && l.msg !== DOWN && l.msg !== "broker publish failed; cross-instance delivery degraded")).toEqual([]);
    }
  }, 60_000);

  test("both instances shut down cleanly afterwards", async () => {
    expect(await Promise.all([a.stop(), b.stop()])).toEqual([0, 0]);
  });
});
