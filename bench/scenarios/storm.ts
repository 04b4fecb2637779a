/**
 * @module bench/scenarios/storm
 * Connection storm: C clients connect at once (64 in setup per load generator) and each is
 * counted when ready — for Switchboard, upgraded, authenticated with an HS256 JWT (a distinct
 * user per client) and `connected` received; for the bare server, upgraded. Rate = C / (last
 * ready − first attempt); server CPU per connection from /proc/<pid>/stat over the storm.
 * Tokens are signed by the load generators before the clock starts. After each storm the
 * clients disconnect and the next round (the other server) begins; rounds rotate and each
 * figure is the median.
 */
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { cpuMs } from "../lib/proc.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { compact, fixed, median, times } from "../lib/stats.ts";
import { SECRET, type SystemName } from "../lib/systems.ts";

const SYSTEMS: SystemName[] = ["switchboard", "bare"];
const WORKERS = 2;

interface Storm {
  rate: number;
  cpuUsPerConnection: number;
  ready: number;
  failed: number;
}

async function storm(l: Loaded, count: number): Promise<Storm> {
  const cpu0 = cpuMs(l.system.server.pid);
  const r = await l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: l.system.protocol, count, concurrency: 64, secret: SECRET, timeoutMs: 30_000 });
  const cpu = cpuMs(l.system.server.pid) - cpu0;
  await l.fleet.closeAll();
  await Bun.sleep(300); // let the server finish its close callbacks before the next measurement
  return { rate: r.ready / ((r.endedAt - r.startedAt) / 1000), cpuUsPerConnection: (cpu * 1000) / Math.max(1, r.ready), ready: r.ready, failed: r.failed };
}

export async function connectionStorm(ctx: BenchContext): Promise<ScenarioResult> {
  const count = ctx.quick ? 2000 : 5000;
  const rounds = ctx.quick ? 3 : 5;
  const loaded: Loaded[] = [];
  const runs: Record<string, Storm[]> = {};
  try {
    for (const name of SYSTEMS) loaded.push(await startLoaded(ctx, name, { count: 0, workers: WORKERS }));
    for (const l of loaded) await storm(l, Math.min(1000, count)); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < loaded.length; k++) {
        const l = loaded[(r + k) % loaded.length]!;
        ctx.log(`connection storm round ${r + 1}/${rounds}: ${count} clients to ${l.system.name}`);
        (runs[l.system.name] ??= []).push(await storm(l, count));
      }
    }
  } finally {
    await Promise.all(loaded.map((l) => l.stop()));
  }
  const rate = (n: string) => median(runs[n]!.map((s) => s.rate));
  const cpu = (n: string) => median(runs[n]!.map((s) => s.cpuUsPerConnection));
  const rateRatio = rate("switchboard") / rate("bare");
  const cpuRatio = cpu("switchboard") / cpu("bare");
  const failed = (n: string) => runs[n]!.reduce((a, s) => a + s.failed, 0);
  return {
    id: "storm",
    title: "Connection storm: connections per second and server CPU per connection",
    table: {
      columns: ["server", "connections/s", "÷ bare", "server CPU µs/conn", "÷ bare", "failed"],
      rows: [
        ["Switchboard (upgrade + JWT HS256 auth)", compact(rate("switchboard")), times(rateRatio), fixed(cpu("switchboard"), 0), times(cpuRatio), String(failed("switchboard"))],
        ["bare Bun.serve (upgrade)", compact(rate("bare")), "1.00×", fixed(cpu("bare"), 0), "1.00×", String(failed("bare"))],
      ],
    },
    checks: [
      { target: "connection rate ≥ 0.5× bare connects", measured: times(rateRatio), pass: rateRatio >= 0.5 },
      { target: "server CPU per authenticated connection ≤ 3× a bare connect's", measured: times(cpuRatio), pass: cpuRatio <= 3 },
    ],
    notes: [`${count} connections per storm, ${WORKERS} load generators × 64 in setup, median of ${rounds} rotated rounds; CPU = utime+stime of the server process`],
    data: runs,
  };
}
