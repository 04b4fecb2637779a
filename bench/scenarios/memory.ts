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
import { kib, median, times } from "../lib/stats.ts";
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

export async function memory(ctx: BenchContext): Promise<ScenarioResult> {
  const count = Math.min(10_000, ctx.fdLimit - 500);
  const rounds = ctx.quick ? 1 : 2;
  const per: Record<string, Reading[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      ctx.log(`memory: ${count} idle connections to ${v.id}`);
      (per[v.id] ??= []).push(await perConnection(ctx, v, count));
    }
  }
  const rss = (id: string) => median(per[id]!.map((x) => x.rss));
  const heap = (id: string) => median(per[id]!.map((x) => x.heap));
  const ratio = rss("switchboard") / rss("bare");
  return {
    id: "memory",
    title: `Memory per idle connection at ${count.toLocaleString("en")} connections`,
    table: {
      columns: ["server", "RSS per connection", "÷ bare", "of which live JS heap"],
      rows: VARIANTS.map((v) => [v.label, kib(rss(v.id)), times(rss(v.id) / rss("bare")), kib(heap(v.id))]),
    },
    checks: [{ target: "memory per idle authenticated connection ≤ 1.5× bare Bun", measured: times(ratio), pass: ratio <= 1.5 }],
    notes: [`RSS delta of the server process after forced GC, divided by N; median of ${rounds} fresh server(s) each`],
    data: { count, perConnectionBytes: per },
  };
}
