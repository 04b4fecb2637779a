/**
 * @module bench/scenarios/storm
 * Connection storm: C clients connect at once (64 in setup per load generator) and each is
 * counted when ready — for Switchboard, upgraded, authenticated with an HS256 JWT (a distinct
 * user per client) and `connected` received; for the bare server, upgraded. Rate = C / (last
 * ready − first attempt); server CPU per connection from /proc/<pid>/stat over the storms,
 * summed over rounds (the kernel counts CPU in 10 ms ticks). Tokens are signed by the load
 * generators before the clock starts. After each storm the clients disconnect; rounds rotate
 * through the servers and the rate is the median.
 *
 * A reference row shows the floor of an authenticated connect: the bare server answering the
 * `authenticate` frame after an HS256 check (BENCH_AUTH=1), with no session state at all. The
 * issue-16 target (connect + auth CPU ≤ 1.5×) is taken against that row: its figures (93 vs
 * 47 µs) were Switchboard against an upgrade plus an authenticate frame and an HS256 check, so
 * the baseline does the same protocol work minus Switchboard's session; against a bare upgrade
 * (no frame, no JWT at all) the SPEC §10 target (≤ 3×) stays.
 */
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { cpuMs } from "../lib/proc.ts";
import type { ProtocolName } from "../lib/protocols.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { compact, fixed, median, spread, times } from "../lib/stats.ts";
import { SECRET, type SystemName } from "../lib/systems.ts";

const WORKERS = 2;

interface Variant {
  id: string;
  label: string;
  system: SystemName;
  protocol: ProtocolName;
  env?: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { id: "switchboard", label: "Switchboard (upgrade + JWT HS256 auth)", system: "switchboard", protocol: "switchboard" },
  { id: "bare", label: "bare Bun.serve (upgrade)", system: "bare", protocol: "bare" },
  { id: "bare-auth", label: "bare + authenticate frame, HS256 check (reference)", system: "bare", protocol: "switchboard", env: { BENCH_AUTH: "1" } },
];

interface Storm {
  rate: number;
  cpuMs: number;
  ready: number;
  failed: number;
}

async function storm(l: Loaded, v: Variant, count: number): Promise<Storm> {
  const cpu0 = cpuMs(l.system.server.pid);
  const r = await l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: v.protocol, count, concurrency: 64, secret: SECRET, timeoutMs: 30_000 });
  const cpu = cpuMs(l.system.server.pid) - cpu0;
  await l.fleet.closeAll();
  await Bun.sleep(300); // let the server finish its close callbacks before the next measurement
  return { rate: r.ready / ((r.endedAt - r.startedAt) / 1000), cpuMs: cpu, ready: r.ready, failed: r.failed };
}

async function measure(ctx: BenchContext, count: number, rounds: number): Promise<Record<string, Storm[]>> {
  const loaded: Loaded[] = [];
  const runs: Record<string, Storm[]> = {};
  try {
    for (const v of VARIANTS) loaded.push(await startLoaded(ctx, v.system, { count: 0, workers: WORKERS, env: v.env }));
    for (let i = 0; i < VARIANTS.length; i++) await storm(loaded[i]!, VARIANTS[i]!, Math.min(1000, count)); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const i = (r + k) % VARIANTS.length;
        ctx.log(`connection storm round ${r + 1}/${rounds}: ${count} clients to ${VARIANTS[i]!.id}`);
        (runs[VARIANTS[i]!.id] ??= []).push(await storm(loaded[i]!, VARIANTS[i]!, count));
      }
    }
  } finally {
    await Promise.all(loaded.map((l) => l.stop()));
  }
  return runs;
}

export async function connectionStorm(ctx: BenchContext): Promise<ScenarioResult> {
  const count = ctx.quick ? 3000 : 6000;
  const rounds = ctx.quick ? 3 : 7;
  const runs = await measure(ctx, count, rounds);
  const rate = (id: string) => median(runs[id]!.map((s) => s.rate));
  // Median of per-round ratios: each round measured every server seconds apart.
  const rateVsBare = (id: string) => median(runs[id]!.map((s, i) => s.rate / runs.bare![i]!.rate));
  const cpu = (id: string) => (runs[id]!.reduce((a, s) => a + s.cpuMs, 0) * 1000) / runs[id]!.reduce((a, s) => a + s.ready, 0);
  const failed = (id: string) => runs[id]!.reduce((a, s) => a + s.failed, 0);
  const rateRatio = rateVsBare("switchboard");
  const cpuRatio = cpu("switchboard") / cpu("bare");
  const authRatio = cpu("switchboard") / cpu("bare-auth");
  // Per-round CPU ratios for the spread (each round's CPU is a few hundred 10 ms ticks).
  const authRounds = runs.switchboard!.map((s, i) => s.cpuMs / s.ready / (runs["bare-auth"]![i]!.cpuMs / runs["bare-auth"]![i]!.ready));
  return {
    id: "storm",
    title: "Connection storm: connections per second and server CPU per connection",
    table: {
      columns: ["server", "connections/s", "÷ bare", "server CPU µs/conn", "÷ bare", "failed"],
      rows: VARIANTS.map((v) => [v.label, compact(rate(v.id)), times(rateVsBare(v.id)), fixed(cpu(v.id), 1), times(cpu(v.id) / cpu("bare")), String(failed(v.id))]),
    },
    checks: [
      { target: "connect + auth CPU per connection: ≤ 1.5× the bare + authenticate frame + HS256 reference", measured: `${times(authRatio)} (${spread(authRounds)} over ${rounds} rounds)`, pass: authRatio <= 1.5 },
      { target: "connection rate ≥ 0.5× bare connects", measured: times(rateRatio), pass: rateRatio >= 0.5 },
      { target: "server CPU per authenticated connection ≤ 3× a bare connect's", measured: times(cpuRatio), pass: cpuRatio <= 3 },
    ],
    notes: [`${count} connections per storm, ${WORKERS} load generators × 64 in setup; rate: median of ${rounds} rotated rounds (ratio: median of per-round ratios); CPU: utime+stime of the server over all rounds ÷ connections (min–max: per-round ratios)`, "the connect + auth CPU target is taken against the reference row (upgrade + authenticate frame + HS256 check, no session), the same work the issue's 93 vs 47 µs compared"],
    data: runs,
  };
}
