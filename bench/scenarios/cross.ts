/**
 * @module bench/scenarios/cross
 * Cross-instance latency: an emit on instance A reaches 1,000 clients on instance B through one
 * private Redis. Each emit carries its send time; each client records receipt − send time, so
 * a sample is the full path (HTTP emit on A → Redis → B → socket). Emits are paced (one every
 * few ms) so that this measures latency, not throughput.
 *
 * Paths, measured in rotated rounds: Switchboard (its Redis broker; the emit on A through the
 * library's `toRoom`, like the other servers' minimal emit routes), the bare relay (two bare
 * Bun servers doing the same hop with the same client library), Socket.IO with
 * `@socket.io/redis-adapter`; Switchboard's REST emit on the same pair (`POST /api/emit`, which
 * also counts cluster-wide recipients) is the primary row and carries the issue-16 target (p99
 * within +0.5 ms of the bare relay's); beside them, a bare Redis publish→subscribe hop.
 */
import { join } from "node:path";
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { spawnServer } from "../lib/proc.ts";
import { publishPaced, type EmitEndpoint } from "../lib/publish.ts";
import { skippedResult, type ScenarioResult } from "../lib/report.ts";
import { fixed, median, percentile, spread } from "../lib/stats.ts";
import { LABELS, type SystemName } from "../lib/systems.ts";

const ROOM = "bench";
const EVENT = "lat";
const CLIENTS = 1000;
/**
 * One emit every 25 ms: 40,000 deliveries/s to 1,000 clients, well inside what every path
 * sustains on 2 cores. At 5 ms (200,000/s) the machine saturated and the figures measured
 * queueing (p50 ~100 ms for every path), not latency.
 */
const INTERVAL_MS = 25;
/** The bare Redis hop has no fan-out to pace for. */
const HOP_INTERVAL_MS = 5;
const PAIRS: SystemName[] = ["switchboard", "bare", "socketio"];
const TITLE = "Cross-instance latency: emit on A → 1,000 clients on B through Redis";
const TARGET = "cross-instance p99, library toRoom: within 1 ms of the bare relay's p99";
const REST_TARGET = "REST emit to 1 room, 1,000 sockets on another instance: p99 within +0.5 ms of the bare relay's";

interface Pair {
  /** Row id: a system name, or "switchboard-rest" for the REST emit on Switchboard's pair. */
  name: string;
  a: Loaded;
  b: Loaded;
  emit: EmitEndpoint;
}

async function startPair(ctx: BenchContext, name: SystemName, redisUrl: string): Promise<Pair> {
  const a = await startLoaded(ctx, name, { count: 0, redisUrl });
  try {
    const b = await startLoaded(ctx, name, { count: CLIENTS, room: ROOM, redisUrl });
    return { name, a, b, emit: a.system.emit };
  } catch (err) {
    await a.stop();
    throw err;
  }
}

/** One round of `emits` paced emits on A; returns the per-delivery latencies (ms). */
async function round(p: Pair, emits: number): Promise<{ samples: number[]; lost: number }> {
  await p.b.fleet.arm({ event: EVENT, perConnection: emits, stamps: true });
  const sent = await publishPaced(p.emit, ROOM, EVENT, emits, INTERVAL_MS);
  if (sent.failed > 0) throw new Error(`${p.name}: ${sent.failed} emits failed (${sent.firstError})`);
  const got = await p.b.fleet.collect(10_000);
  return { samples: got.samples, lost: CLIENTS * emits - got.received };
}

async function redisHop(redisUrl: string, count: number): Promise<number[]> {
  const hop = await spawnServer("redis hop", [process.execPath, join(import.meta.dir, "..", "redis-hop.ts"), redisUrl, String(count), String(HOP_INTERVAL_MS)], { timeoutMs: 60_000 });
  await hop.stop();
  return hop.info.samples as number[];
}

export async function crossInstance(ctx: BenchContext): Promise<ScenarioResult> {
  if (!ctx.hasRedis) return skippedResult("cross", TITLE, "redis-server is not installed (Debian package redis-server)", [REST_TARGET, TARGET]);
  const redisUrl = (await ctx.redis()).url;
  const rounds = ctx.quick ? 3 : 7;
  const emits = ctx.quick ? 100 : 250;
  const pairs: Pair[] = [];
  const samples: Record<string, number[]> = {};
  const roundP99: Record<string, number[]> = {};
  const lost: Record<string, number> = {};
  try {
    for (const name of PAIRS) {
      ctx.log(`cross-instance: starting two ${name} instances and ${CLIENTS} clients on B`);
      const pair = await startPair(ctx, name, redisUrl);
      pairs.push(pair);
      if (name === "switchboard" && pair.a.system.server.info.broker !== "redis") {
        return skippedResult("cross", TITLE, `Switchboard started with the "${String(pair.a.system.server.info.broker)}" broker: REDIS_URL did not select a Redis broker in this build`, [REST_TARGET, TARGET]);
      }
      if (pair.a.system.restEmit) pairs.push({ ...pair, name: "switchboard-rest", emit: pair.a.system.restEmit });
    }
    for (const p of pairs) await round(p, 30); // warm-up: JIT, connections, Redis subscriptions
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < pairs.length; k++) {
        const p = pairs[(r + k) % pairs.length]!;
        const got = await round(p, emits);
        (samples[p.name] ??= []).push(...got.samples);
        (roundP99[p.name] ??= []).push(percentile(got.samples, 99));
        lost[p.name] = (lost[p.name] ?? 0) + got.lost;
      }
    }
  } finally {
    await Promise.all(pairs.filter((p) => p.name !== "switchboard-rest").flatMap((p) => [p.a.stop(), p.b.stop()]));
  }
  samples.hop = await redisHop(redisUrl, rounds * emits);
  return summarize(samples, roundP99, lost, rounds, emits);
}

function summarize(samples: Record<string, number[]>, roundP99: Record<string, number[]>, lost: Record<string, number>, rounds: number, emits: number): ScenarioResult {
  const p = (name: string, q: number) => percentile(samples[name] ?? [], q);
  // Each round measured every path seconds apart: the median of per-round differences cancels
  // slow changes in machine load that a pooled p99 would mix in.
  const perRound = (name: string) => (roundP99[name] ?? []).map((v, i) => v - roundP99.bare![i]!);
  const vsBare = (name: string) => median(perRound(name));
  const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${fixed(ms)}`;
  const measured = (name: string) => `${signed(vsBare(name))} ms (${spread(perRound(name), signed)} over ${perRound(name).length} rounds)`;
  const label: Record<string, string> = {
    "switchboard-rest": "Switchboard, POST /api/emit (primary)",
    switchboard: `${LABELS.switchboard}, library toRoom`,
    bare: `${LABELS.bare} relay`,
    socketio: `${LABELS.socketio} + redis-adapter`,
    hop: "bare Redis pub→sub hop (beside)",
  };
  const rows = Object.keys(label).map((name) => [
    label[name]!,
    fixed(p(name, 50)),
    fixed(p(name, 99)),
    name === "hop" ? "" : fixed(vsBare(name)),
    name === "hop" ? "" : spread(perRound(name), signed),
    String(samples[name]?.length ?? 0),
    name === "hop" ? "" : String(lost[name] ?? 0),
  ]);
  const delta = vsBare("switchboard");
  const restDelta = vsBare("switchboard-rest");
  return {
    id: "cross",
    title: TITLE,
    table: { columns: ["path", "p50 ms", "p99 ms", "p99 − bare relay p99 (per round, median)", "min–max over rounds", "samples", "lost"], rows },
    checks: [
      { target: REST_TARGET, measured: measured("switchboard-rest"), pass: Number.isFinite(restDelta) ? restDelta <= 0.5 : null },
      { target: TARGET, measured: measured("switchboard"), pass: delta <= 1 },
    ],
    notes: [`${rounds} rotated rounds of ${emits} emits per path, one emit every ${INTERVAL_MS} ms, ${CLIENTS} clients on B; latency per delivery, emit send → client receipt`],
    data: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { p50: percentile(v, 50), p90: percentile(v, 90), p99: percentile(v, 99), max: percentile(v, 100), n: v.length, lost: lost[k] ?? 0 }])),
  };
}
