/**
 * Send buffers stay bounded when consumers stop reading (SPEC §3.4, §8, §11; issue 9).
 *
 * Slow consumers: a server process whose room gets 50 MiB while four of its members have stopped
 * reading. They are closed 4006, the server's resident memory grows by far less than what they
 * would otherwise have buffered (4 × 50 MiB), and a healthy member of the same room receives
 * everything. Admin channel: an admin socket that stops reading has stream frames dropped above
 * its buffer limit, while a reading admin socket gets every event.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { prepareInstances, restEmit, startInstance, type Instance } from "../helpers/instances.ts";
import { RawWebSocket } from "../helpers/raw-ws.ts";
import { Sentinel } from "../helpers/sentinel.ts";
import { ADMIN_TOKEN, api, startServer, TEST_SECRET } from "../helpers/server.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";
import { signToken } from "../../server/auth/jwt.ts";
import type { AdminConnection } from "../../server/admin/channel.ts";

const MIB = 1024 * 1024;

/** Resident memory of a process, from /proc (Linux). */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/**
 * A member of `room` in its own process that authenticates, joins, and is then stopped (SIGSTOP):
 * it never reads again, so its kernel buffers fill and the server's send buffer grows.
 */
async function stalledMember(url: string, room: string, sub: string): Promise<Subprocess> {
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "../fixtures/stalled-client.ts"), url, await signToken(TEST_SECRET, { sub }, "1h"), room], { stdout: "pipe" });
  const { value } = await (child.stdout as ReadableStream<Uint8Array>).getReader().read();
  expect(new TextDecoder().decode(value)).toContain("ready");
  child.kill("SIGSTOP");
  return child;
}

async function closeCount(instance: Instance, code: number): Promise<number> {
  const text = await (await fetch(`${instance.http}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  const line = text.split("\n").find((l) => l.startsWith("switchboard_close_codes_total") && l.includes(`code="${code}"`));
  return Number(line?.split(" ").pop() ?? 0);
}

/** Polls /metrics until `count` closes with `code` were counted (the policy runs every 250 ms), or 5 s. */
async function closesReach(instance: Instance, code: number, count: number): Promise<number> {
  const deadline = Date.now() + 5000;
  let seen = await closeCount(instance, code);
  while (seen < count && Date.now() < deadline) {
    await Bun.sleep(50);
    seen = await closeCount(instance, code);
  }
  return seen;
}

describe("slow consumers", () => {
  let instance: Instance;
  beforeAll(async () => {
    await prepareInstances();
    instance = await startInstance("slow-consumers", { BACKPRESSURE_LIMIT_BYTES: String(256 * 1024)});
  });
  afterAll(() => instance?.stop());

  test("four members that stop reading are closed 4006 while 50 MiB flow to their room; server memory stays bounded; a healthy member gets everything", async () => {
    const healthy = await instance.client({ sub: "healthy" });
    await healthy.request("join", { rooms: ["flood"] });
    const sentinel = new Sentinel(healthy, (event, data) => restEmit(instance, { to: { room: "flood" }, event, data }), 20).start();
    const stalled: Subprocess[] = [];
    try {
      for (let i = 0; i < 4; i++) stalled.push(await stalledMember(instance.ws, "flood", `stalled-${i}`));
      await flood(instance, healthy, sentinel);
    } finally {
      for (const child of stalled) child.kill("SIGKILL");
    }
    healthy.close();
  }, 60_000);
});

/** 800 × 64 KiB to the room; checks the 4006 closes, the memory bound and the healthy member. */
async function flood(instance: Instance, healthy: TestClient, sentinel: Sentinel): Promise<void> {
  const baseline = rssBytes(instance.proc.pid);
  let peak = baseline;
  const payload = "x".repeat(64 * 1024);
  for (let i = 0; i < 800; i++) {
    const res = await restEmit(instance, { to: { room: "flood" }, event: "bulk", data: payload });
    expect(res.status).toBe(202);
    if (i % 50 === 0) peak = Math.max(peak, rssBytes(instance.proc.pid));
  }
  await waitUntil(() => healthy.frames.filter((f) => f.event === "bulk").length === 800, 20_000, "the healthy member to read all 800 bulk frames");
  peak = Math.max(peak, rssBytes(instance.proc.pid));
  expect(await closesReach(instance, 4006, 4)).toBe(4);
  expect(peak - baseline, `RSS ${Math.round(baseline / MIB)} → ${Math.round(peak / MIB)} MiB`).toBeLessThan(100 * MIB);
  await sentinel.stopAndCheck();
  expect(instance.proc.exitCode).toBeNull();
}

describe("admin channel send buffers", () => {
  test("an admin socket that stops reading has stream frames dropped above its limit; a reading one gets every event", async () => {
    const limit = 64 * 1024;
    const s = await startServer({ adminAggregateAbove: 1_000_000, adminBufferLimit: limit });
    try {
      const stalled = await RawWebSocket.open(s.port, "/admin/ws");
      stalled.sendText(JSON.stringify({ event: "authenticate", data: { token: ADMIN_TOKEN } }));
      await waitUntil(() => stalled.texts().some((f: any) => f.event === "snapshot"), 5000, "the stalled admin's snapshot");
      stalled.pause();
      const reader = await TestClient.connect(`ws://127.0.0.1:${s.port}/admin/ws`);
      reader.send({ event: "authenticate", data: { token: ADMIN_TOKEN } });
      await reader.waitForEvent("snapshot");

      // Each emit event names 1,000 rooms of 250 characters: about 256 KiB per admin frame.
      const rooms = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, "0")}-${"r".repeat(245)}`);
      for (let i = 0; i < 60; i++) expect((await api(s, "POST", "/api/emit", { to: { rooms }, event: `big-${i}` })).status).toBe(202);
      await reader.waitFor((f) => f.event === "emit" && f.data.event === "big-59", 10_000, "the last emit event");
      expect(reader.frames.filter((f) => f.event === "emit")).toHaveLength(60);

      const conns = [...((s.sb.adminChannel as unknown as { connections: Set<AdminConnection> }).connections)];
      const slow = conns.find((c) => c.dropped > 0);
      expect(slow, "a connection with dropped frames").toBeDefined();
      expect(slow!.socket.bufferedAmount()).toBeLessThanOrEqual(limit + 300 * 1024);
      expect(conns.filter((c) => c.dropped > 0)).toHaveLength(1);
      stalled.destroy();
      reader.close();
    } finally {
      await s.stop();
    }
  }, 30_000);
});
