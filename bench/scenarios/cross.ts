/**
 * @module bench/scenarios/cross
 * Cross-instance latency: an emit on instance A reaches 200 clients on instance B through one
 * private Redis. Each emit carries its send time; each client records receipt − send time, so
 * a sample is the full path (HTTP emit on A → Redis → B → socket). Emits are paced (one every
 * few ms) so that this measures latency, not throughput.
 *
 * Paths, measured in rotated rounds: Switchboard (its Redis broker; the emit on A through the
 * library's `toRoom`, like the other servers' minimal emit routes), the bare relay (two bare
 * Bun servers doing the same hop with the same client library), Socket.IO with
 * `@socket.io/redis-adapter`; beside them, Switchboard's REST emit on the same pair (it also
 * counts cluster-wide recipients first) and a bare Redis publish→subscribe hop.
 */
import { join } from "node:path";
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { spawnServer } from "../lib/proc.ts";
import { publishPaced, type EmitEndpoint } from "../lib/publish.ts";
import { skippedResult, type ScenarioResult } from "../lib/report.ts";
import { fixed, median, percentile } from "../lib/stats.ts";
import { LABELS, type SystemName } from "../lib/systems.ts";

const ROOM = "bench";
const EVENT = "lat";
const CLIENTS = 200;
const INTERVAL_MS = 5;
const PAIRS: SystemName[] = ["switchboard", "bare", "socketio"];
const TITLE = "Cross-instance latency: emit on A → 200 clients on B through Redis";
const TARGET = "cross-instance p99 within 1 ms of the bare relay's p99";

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
  const hop = await spawnServer("redis hop", [process.execPath, join(import.meta.dir, "..", "redis-hop.ts"), redisUrl, String(count), String(INTERVAL_MS)], { timeoutMs: 60_000 });
  await hop.stop();
  return hop.info.samples as number[];
}

export async function crossInstance(ctx: BenchContext): Promise<ScenarioResult> {
  if (!ctx.hasRedis) return skippedResult("cross", TITLE, "redis-server is not installed (Debian package redis-server)", [TARGET]);
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
        return skippedResult("cross", TITLE, `Switchboard started with the "${String(pair.a.system.server.info.broker)}" broker: REDIS_URL did not select a Redis broker in this build`, [TARGET]);
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
  const vsBare = (name: string) => median((roundP99[name] ?? []).map((v, i) => v - roundP99.bare![i]!));
  const label: Record<string, string> = {
    switchboard: LABELS.switchboard,
    bare: `${LABELS.bare} relay`,
    socketio: `${LABELS.socketio} + redis-adapter`,
    "switchboard-rest": "Switchboard, emit via REST API (beside)",
    hop: "bare Redis pub→sub hop (beside)",
  };
  const rows = Object.keys(label).map((name) => [
    label[name]!,
    fixed(p(name, 50)),
    fixed(p(name, 99)),
    name === "hop" ? "" : fixed(vsBare(name)),
    String(samples[name]?.length ?? 0),
    name === "hop" ? "" : String(lost[name] ?? 0),
  ]);
  const delta = vsBare("switchboard");
  return {
    id: "cross",
    title: TITLE,
    table: { columns: ["path", "p50 ms", "p99 ms", "p99 − bare relay p99 (per round, median)", "samples", "lost"], rows },
    checks: [{ target: TARGET, measured: `${delta >= 0 ? "+" : ""}${fixed(delta)} ms`, pass: delta <= 1 }],
    notes: [`${rounds} rotated rounds of ${emits} emits per path, one emit every ${INTERVAL_MS} ms, ${CLIENTS} clients on B; latency per delivery, emit send → client receipt`],
    data: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { p50: percentile(v, 50), p90: percentile(v, 90), p99: percentile(v, 99), max: percentile(v, 100), n: v.length, lost: lost[k] ?? 0 }])),
  };
}
