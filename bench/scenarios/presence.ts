/**
 * @module bench/scenarios/presence
 * What presence (SPEC §12) costs. Two Switchboard instances on one Redis; 1,000 clients (distinct
 * users) connect and join a room at 200/s, alternating between the instances, then leave (close)
 * at 200/s. Run once with the room a presence room (PRESENCE_ROOMS, leave grace 0 so every
 * leave lands in the window) and once with a plain room, same servers, same load. Reported:
 * the servers' CPU per join+leave for each, and the presence frames the members received (a
 * presence room of N members sends about N²/2 joins and as many leaves: that fan-out, not the
 * bookkeeping, is the cost that grows). Memory per member: one instance with the memory store,
 * the live JS heap after 1,000 clients joined a presence room vs a plain room, per client.
 */
import { Fleet } from "../lib/fleet.ts";
import { cpuMs } from "../lib/proc.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { compact, fixed, kib, median, times } from "../lib/stats.ts";
import { collectGarbage, SECRET, startSystem, waitRoomSize, type RunningSystem } from "../lib/systems.ts";
import type { BenchContext } from "../lib/context.ts";

const CLIENTS = 1000;
const RATE_PER_S = 200;
const TICK_MS = 100;
const ENV = { PRESENCE_ROOMS: "presence-*", ALLOWED_ROOMS: "*", DEFAULT_ROOMS: "", PRESENCE_LEAVE_GRACE_MS: "0" };

interface Churn {
  cpuMs: number;
  presenceFrames: number;
}

async function paced(ticks: number, step: (tick: number) => Promise<void>): Promise<void> {
  for (let t = 0; t < ticks; t++) {
    const due = performance.now() + TICK_MS;
    await step(t);
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
  }
}

async function churn(servers: RunningSystem[], fleets: Fleet[], room: string, round: number): Promise<Churn> {
  const perTick = (RATE_PER_S * TICK_MS) / 1000 / servers.length;
  const ticks = CLIENTS / (perTick * servers.length);
  const cpu0 = servers.map((s) => cpuMs(s.server.pid));
  await paced(ticks, (t) =>
    Promise.all(
      servers.map((s, i) =>
        fleets[i]!.connect({ host: "127.0.0.1", port: s.server.port, protocol: s.protocol, count: perTick, concurrency: perTick, secret: SECRET, room, subPrefix: `r${round}-s${i}-t${t}-`, timeoutMs: 30_000 }),
      ),
    ).then(() => undefined),
  );
  await Promise.all(fleets.map((f) => f.arm({ event: "presence:leave", perConnection: 1_000_000, stamps: false })));
  await paced(ticks, () => Promise.all(fleets.map((f) => f.closeSome(perTick))).then(() => undefined));
  const cpu = servers.reduce((sum, s, i) => sum + cpuMs(s.server.pid) - cpu0[i]!, 0);
  const leaves = await Promise.all(fleets.map((f) => f.collect(10)));
  return { cpuMs: cpu, presenceFrames: leaves.reduce((n, r) => n + r.received, 0) };
}

async function memoryPerMember(ctx: BenchContext, room: string): Promise<number> {
  const system = await startSystem("switchboard", { tmp: ctx.tmp, env: ENV });
  const fleet = new Fleet(1);
  try {
    const warm = await fleet.connect({ host: "127.0.0.1", port: system.server.port, protocol: system.protocol, count: 100, concurrency: 32, secret: SECRET, room, timeoutMs: 30_000 });
    if (warm.failed) throw new Error(`presence memory: ${warm.failed} warm-up connections failed`);
    await fleet.closeAll();
    await collectGarbage(system);
    const before = await collectGarbage(system);
    await fleet.connect({ host: "127.0.0.1", port: system.server.port, protocol: system.protocol, count: CLIENTS, concurrency: 32, secret: SECRET, room, subPrefix: "m-", timeoutMs: 30_000 });
    await waitRoomSize(system, room, CLIENTS);
    await collectGarbage(system);
    const after = await collectGarbage(system);
    return ((after.heapSize ?? 0) - (before.heapSize ?? 0)) / CLIENTS;
  } finally {
    await fleet.stop();
    await system.stop();
  }
}

export async function presence(ctx: BenchContext): Promise<ScenarioResult> {
  if (!ctx.hasRedis) return { id: "presence", title: "Presence", table: { columns: [], rows: [] }, checks: [], notes: [], data: {}, skipped: "redis-server not installed" };
  const redis = await ctx.redis();
  const servers = await Promise.all([0, 1].map(() => startSystem("switchboard", { tmp: ctx.tmp, redisUrl: redis.url, env: ENV })));
  const fleets = servers.map(() => new Fleet(1));
  const runs: Record<string, Churn[]> = { presence: [], plain: [] };
  try {
    const rounds = ctx.quick ? 1 : 3;
    for (let r = 0; r < rounds; r++) {
      for (const kind of r % 2 === 0 ? ["presence", "plain"] : ["plain", "presence"]) {
        ctx.log(`presence: churn of ${CLIENTS} clients at ${RATE_PER_S}/s in a ${kind} room (round ${r + 1})`);
        runs[kind]!.push(await churn(servers, fleets, `${kind}-bench-${r}`, r));
      }
    }
  } finally {
    await Promise.all(fleets.map((f) => f.stop()));
    await Promise.all(servers.map((s) => s.stop()));
  }
  const heap = { presence: await memoryPerMember(ctx, "presence-mem"), plain: await memoryPerMember(ctx, "plain-mem") };
  const cpuPer = (kind: string) => median(runs[kind]!.map((c) => (c.cpuMs * 1000) / CLIENTS));
  const ratio = cpuPer("presence") / cpuPer("plain");
  return {
    id: "presence",
    title: `Presence: ${CLIENTS.toLocaleString("en")} clients joining and leaving at ${RATE_PER_S}/s across two instances`,
    table: {
      columns: ["room", "server CPU per join+leave", "÷ plain room", "presence:leave frames received", "live JS heap per client"],
      rows: [
        ["presence room", `${fixed(cpuPer("presence"), 0)} µs`, times(ratio), compact(median(runs.presence!.map((c) => c.presenceFrames))), kib(heap.presence)],
        ["plain room", `${fixed(cpuPer("plain"), 0)} µs`, times(1), "0", kib(heap.plain)],
      ],
    },
    checks: [],
    notes: [
      "CPU of both server processes (/proc/<pid>/stat) over the whole churn, median of the rounds; the leave grace is 0 so every leave is inside the window",
      `memory: one instance, memory store, live heap delta after ${CLIENTS} clients joined, per client; presence costs ${kib(heap.presence - heap.plain)} per member`,
    ],
    data: { clients: CLIENTS, ratePerSecond: RATE_PER_S, runs, heapPerClient: heap },
  };
}
