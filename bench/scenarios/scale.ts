/**
 * @module bench/scenarios/scale
 * Scale: the largest number of authenticated connections at which heartbeat round trips stay
 * under 50 ms at p99. Connections are added step by step (1k, 2k, 5k, …) to one Switchboard
 * instance; at each step every client sends a heartbeat with an id every few seconds (phases
 * spread evenly) and times the server's answer. An unanswered heartbeat counts as a miss.
 * It stops at the first failing step or at the cap (20k, or the open-file limit less 1,000).
 */
import { startLoaded, PER_WORKER, type BenchContext } from "../lib/context.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { compact, fixed, percentile } from "../lib/stats.ts";
import { SECRET } from "../lib/systems.ts";

const P99_LIMIT_MS = 50;

interface Step {
  connections: number;
  p50: number;
  p99: number;
  sent: number;
  answered: number;
  pass: boolean;
}

function steps(ctx: BenchContext): number[] {
  const cap = Math.min(20_000, ctx.fdLimit - 1000);
  const all = ctx.quick ? [1000, 5000, 10_000] : [1000, 2000, 5000, 10_000, 15_000, 20_000];
  const within = all.filter((n) => n <= cap);
  // With a lower open-file limit the cap itself is the last step (e.g. 19,000 under 20,000 fds).
  if (!ctx.quick && within.length < all.length && cap > (within.at(-1) ?? 0)) within.push(cap);
  return within.length ? within : [Math.max(100, cap)];
}

export async function scale(ctx: BenchContext): Promise<ScenarioResult> {
  const plan = steps(ctx);
  const top = plan[plan.length - 1]!;
  const durationMs = ctx.quick ? 4000 : 6000;
  const intervalMs = 2000;
  const l = await startLoaded(ctx, "switchboard", { count: 0, workers: Math.ceil(top / PER_WORKER) });
  const results: Step[] = [];
  try {
    for (const target of plan) {
      const add = target - l.fleet.connections;
      ctx.log(`scale: ${target} connections (adding ${add})`);
      const r = await l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: "switchboard", count: add, concurrency: 64, secret: SECRET, timeoutMs: 60_000 });
      if (r.failed > 0) throw new Error(`scale: ${r.failed} of ${add} connections failed at ${target} (${r.errors.join("; ")})`);
      const hb = await l.fleet.heartbeats(durationMs, intervalMs);
      const p99 = percentile([...hb.samples, ...Array<number>(hb.sent - hb.answered).fill(Infinity)], 99);
      const step = { connections: target, p50: percentile(hb.samples, 50), p99, sent: hb.sent, answered: hb.answered, pass: p99 < P99_LIMIT_MS };
      results.push(step);
      if (!step.pass) break;
    }
  } finally {
    await l.stop();
  }
  const best = results.filter((s) => s.pass).pop();
  const capped = results.length === plan.length && results.every((s) => s.pass);
  return {
    id: "scale",
    title: "Scale: authenticated connections with heartbeat round-trip p99 < 50 ms",
    table: {
      columns: ["connections", "heartbeats", "p50 ms", "p99 ms", "unanswered", "p99 < 50 ms"],
      rows: results.map((s) => [compact(s.connections), String(s.sent), fixed(s.p50), fixed(s.p99), String(s.sent - s.answered), s.pass ? "yes" : "no"]),
    },
    checks: [],
    notes: [
      `largest passing step: ${best ? best.connections.toLocaleString("en") : "none"}${capped ? " (the top step of this run: no step failed)" : ""}`,
      `each client sends a heartbeat with an id every ${intervalMs / 1000} s for ${durationMs / 1000} s per step (${compact(top / (intervalMs / 1000))}/s at the top step); one Switchboard instance`,
    ],
    data: { steps: results, cap: top },
  };
}
