/**
 * @module bench/scenarios/memory
 * Memory per idle connection: the server's RSS (after a forced full GC) before and after N
 * clients connect, divided by N. Switchboard's clients are authenticated (JWT, distinct users,
 * default rooms joined, as in production); the bare server's are plain Bun sockets. The load
 * is spread over several generator processes so no process nears its open-file limit.
 *
 * A third row explains the gap: the bare server again, each socket subscribed to three Bun
 * topics — what Switchboard's broadcast topic and two default rooms cost in the runtime alone.
 * The live JavaScript heap per connection (from `bun:jsc` heapStats) is shown beside RSS.
 */
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { rssBytes } from "../lib/proc.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { kib, median, spread, times } from "../lib/stats.ts";
import { collectGarbage, SECRET, type HeapReading, type SystemName } from "../lib/systems.ts";

interface Variant {
  id: string;
  system: SystemName;
  label: string;
  env?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { id: "switchboard", system: "switchboard", label: "Switchboard (authenticated, default rooms)" },
  { id: "bare", system: "bare", label: "bare Bun.serve socket" },
  { id: "bare3", system: "bare", label: "bare socket + 3 topic subscriptions (reference)", env: { BENCH_OPEN_TOPICS: "3" } },
];

interface Reading {
  rss: number;
  heap: number;
}

async function settled(l: Loaded): Promise<HeapReading & { rss: number }> {
  await collectGarbage(l.system);
  await Bun.sleep(500);
  const reading = await collectGarbage(l.system);
  return { ...reading, rss: rssBytes(l.system.server.pid) };
}

/** Bytes per connection (RSS and live JS heap) for one fresh server. */
async function perConnection(ctx: BenchContext, v: Variant, count: number): Promise<Reading> {
  const l = await startLoaded(ctx, v.system, { count: 0, workers: Math.ceil(count / 2500), env: v.env });
  const connect = (n: number) => l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: l.system.protocol, count: n, concurrency: 64, secret: SECRET, timeoutMs: 60_000 });
  try {
    // Warm the server's code paths (JIT, allocator pools) before the baseline reading.
    await connect(200);
    await l.fleet.closeAll();
    const before = await settled(l);
    const r = await connect(count);
    if (r.failed > 0) throw new Error(`${v.id}: ${r.failed} of ${count} connections failed (${r.errors.join("; ")})`);
    const after = await settled(l);
    return { rss: (after.rss - before.rss) / count, heap: ((after.heapSize ?? 0) - (before.heapSize ?? 0)) / count };
  } finally {
    await l.stop();
  }
}

/** Issue 16's target is at 5,000 connections; SPEC §10's (≤ 1.5×) at 10,000. */
const SIZES = [
  { count: 5000, max: 1.25, target: "memory per idle authenticated connection at 5,000: ≤ 1.25× bare Bun" },
  { count: 10_000, max: 1.5, target: "memory per idle authenticated connection at 10,000: ≤ 1.5× bare Bun" },
];

interface SizeReadings {
  count: number;
  per: Record<string, Reading[]>;
}

async function measureSize(ctx: BenchContext, count: number, rounds: number): Promise<SizeReadings> {
  const per: Record<string, Reading[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      ctx.log(`memory: ${count} idle connections to ${v.id} (${r + 1}/${rounds})`);
      (per[v.id] ??= []).push(await perConnection(ctx, v, count));
    }
  }
  return { count, per };
}

export async function memory(ctx: BenchContext): Promise<ScenarioResult> {
  const sizes = SIZES.filter((s) => s.count <= ctx.fdLimit - 500 && (!ctx.quick || s.count === 5000));
  if (sizes.length === 0) throw new Error(`the open-file limit (${ctx.fdLimit}) is too low for 5,000 connections: raise it (ulimit -n)`);
  const rounds = 3;
  const measured: SizeReadings[] = [];
  for (const s of sizes) measured.push(await measureSize(ctx, s.count, rounds));
  const rows: string[][] = [];
  const checks: ScenarioResult["checks"] = [];
  for (const [i, m] of measured.entries()) {
    const rss = (id: string) => median(m.per[id]!.map((x) => x.rss));
    const heap = (id: string) => median(m.per[id]!.map((x) => x.heap));
    // Rounds pair each variant's fresh server with the bare one measured beside it.
    const ratios = (id: string) => m.per[id]!.map((x, k) => x.rss / m.per.bare![k]!.rss);
    for (const v of VARIANTS) rows.push([m.count.toLocaleString("en"), v.label, kib(rss(v.id)), times(median(ratios(v.id))), spread(ratios(v.id)), kib(heap(v.id))]);
    const ratio = median(ratios("switchboard"));
    checks.push({ target: sizes[i]!.target, measured: `${times(ratio)} (${spread(ratios("switchboard"))} over ${rounds} rounds)`, pass: ratio <= sizes[i]!.max });
  }
  return {
    id: "memory",
    title: "Memory per idle connection",
    table: { columns: ["connections", "server", "RSS per connection", "÷ bare", "÷ bare, min–max", "of which live JS heap"], rows },
    checks,
    notes: [`RSS delta of the server process after forced GC, divided by N; ${rounds} fresh servers per variant and size, rotated; ÷ bare is the median of per-round ratios, min–max their spread`],
    data: measured,
  };
}
