/**
 * `switchboard emit` argument handling: what is sent for each flag combination, and one clear
 * line (a ConfigError, exit 2) for each kind of bad input. Sending itself is covered by
 * test/multi/fanout.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { planEmit } from "../../server/cli-emit.ts";
import { ConfigError } from "../../server/config/settings.ts";
import { emitterEnvelope, type Emitter } from "../../shared/emitter.ts";

/** An emitter that records calls instead of publishing. */
function recorder(): { calls: unknown[][]; emitter: Emitter } {
  const calls: unknown[][] = [];
  const record = (name: string) => async (...args: unknown[]) => (calls.push([name, ...args]), 1);
  const emitter = { toClient: record("toClient"), toUser: record("toUser"), toRoom: record("toRoom"), broadcast: record("broadcast"), shutdown: async () => {} } as unknown as Emitter;
  return { calls, emitter };
}

describe("switchboard emit: flags", () => {
  test.each([
    [["--room", "lobby", "--event", "news", "--data", '{"a":1}'], ["toRoom", "lobby", "news", { a: 1 }, { exclude: undefined }]],
    [["--room", "a", "--room=b", "--event", "news", "--exclude", "c1, c2"], ["toRoom", ["a", "b"], "news", undefined, { exclude: ["c1", "c2"] }]],
    [["--user", "alice", "--event", "e"], ["toUser", "alice", "e", undefined, { exclude: undefined }]],
    [["--client", "c-1", "--event", "e", "--data", '"text"'], ["toClient", "c-1", "e", "text"]],
    [["--broadcast", "--event", "e", "--exclude", "x"], ["broadcast", "e", undefined, { exclude: ["x"] }]],
  ])("%j", async (args, call) => {
    const { calls, emitter } = recorder();
    await planEmit(args).send(emitter);
    expect(calls).toEqual([call]);
  });

  test.each([
    [[], /--event is required/],
    [["--event", "e"], /exactly one of --room/],
    [["--room", "a", "--user", "u", "--event", "e"], /exactly one of --room/],
    [["--room", "ws:x", "--event", "e"], /is not a room name/],
    [["--room", "a", "--event", "connected"], /reserved system event/],
    [["--room", "a", "--event", "e", "--data", "{a:1}"], /is not JSON/],
    [["--client", "c", "--event", "e", "--exclude", "x"], /does not apply to --client/],
    [["--room", "a", "--event", "e", "--bogus", "1"], /unknown option --bogus/],
    [["--room"], /--room needs a value/],
    [["lobby"], /unexpected argument/],
  ])("%j is refused", (args, message) => {
    expect(() => planEmit(args)).toThrow(ConfigError);
    expect(() => planEmit(args)).toThrow(message);
  });

  test("bad input exits 2 with one line; no REDIS_URL exits 2 naming it", async () => {
    const run = async (args: string[], env: Record<string, string>) => {
      const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "..", "server", "cli.ts"), "emit", ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
      return { code: await proc.exited, stderr: await new Response(proc.stderr as ReadableStream<Uint8Array>).text() };
    };
    const bad = await run(["--room", "lobby"], { REDIS_URL: "redis://127.0.0.1:1" });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const noRedis = await run(["--room", "lobby", "--event", "news"], {});
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain("REDIS_URL is unset");
  });
});

describe("emitter envelopes", () => {
  test("exactly the Ignis envelope with serverId emitter; several rooms become one rooms envelope", () => {
    expect(emitterEnvelope("room", "lobby", "news", { a: 1 }, ["c1"])).toEqual({
      channel: "ws:room:lobby",
      envelope: { serverId: "emitter", type: "room", target: "lobby", event: "news", data: { a: 1 }, exclude: ["c1"] },
    });
    expect(emitterEnvelope("client", "c1", "e", undefined, ["x"])).toEqual({ channel: "ws:client:c1", envelope: { serverId: "emitter", type: "client", target: "c1", event: "e", data: undefined } });
    expect(emitterEnvelope("broadcast", undefined, "e", 1, [])).toEqual({ channel: "ws:broadcast", envelope: { serverId: "emitter", type: "broadcast", event: "e", data: 1 } });
    expect(emitterEnvelope("room", ["a", "b"], "e", null, undefined).envelope).toEqual({ serverId: "emitter", type: "rooms", targets: ["a", "b"], event: "e", data: null });
    expect(emitterEnvelope("room", ["a"], "e", null, undefined).envelope).toMatchObject({ type: "room", target: "a" });
  });

  test("a missing target or event is a TypeError, not a message the servers would drop", () => {
    expect(() => emitterEnvelope("user", "", "e", 1, undefined)).toThrow(TypeError);
    expect(() => emitterEnvelope("room", [], "e", 1, undefined)).toThrow(TypeError);
    expect(() => emitterEnvelope("broadcast", undefined, "", 1, undefined)).toThrow(TypeError);
  });
});
