/**
 * @module bench/scenarios/fanout
 * Fan-out throughput: N ready clients in one room; a publisher process emits M messages to the
 * room as fast as the server accepts them (a window of 16 HTTP emits in flight: the next goes
 * out as soon as one is answered); clients count receipts.
 * Rate = deliveries / (last receipt − first emit). Server CPU per delivery comes from
 * /proc/<pid>/stat over the same interval.
 *
 * Every server gets the same minimal emit route into its own emit API (`toRoom`,
 * `io.to().emit`, `helper.send`, `server.publish`). Switchboard is also driven through its
 * REST API (`POST /api/emit`: auth, validation, audit): that is how users' backends emit, so
 * it is the primary row and the issue-16 target (≥ 0.95× bare); the library path (`toRoom`)
 * stays beside it for the SPEC §10 comparisons.
 *
 * All servers stay up with their clients connected for the whole size, and the rounds rotate
 * through them, so machine noise hits every server alike; each figure is the median of rounds.
 * M is calibrated per server by a warm-up round so that every round lasts about the same time.
 */
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { cpuMs } from "../lib/proc.ts";
import { publishBurst, type EmitEndpoint } from "../lib/publish.ts";
import type { Check, ScenarioResult } from "../lib/report.ts";
import { compact, fixed, median, spread, times } from "../lib/stats.ts";
import type { SystemName } from "../lib/systems.ts";

const ROOM = "bench";
const EVENT = "bench";
const IN_FLIGHT = 16;
const SYSTEMS: SystemName[] = ["switchboard", "bare", "socketio", "ignis"];

/** One row: a server under load and the endpoint its publisher uses. */
interface Entry {
  id: string;
  label: string;
  loaded: Loaded;
  emit: EmitEndpoint;
}

interface Round {
  rate: number;
  cpuUsPerDelivery: number;
  received: number;
  expected: number;
  seconds: number;
}

interface SizeResult {
  clients: number;
  rounds: Record<string, Round[]>;
  rate: Record<string, number>;
  cpu: Record<string, number>;
  lost: Record<string, number>;
}

async function round(e: Entry, messages: number): Promise<Round> {
  const { fleet, system } = e.loaded;
  await fleet.arm({ event: EVENT, perConnection: messages, stamps: false });
  const cpu0 = cpuMs(system.server.pid);
  const sent = await publishBurst(e.emit, ROOM, EVENT, messages, IN_FLIGHT);
  if (sent.failed > 0) throw new Error(`${e.label}: ${sent.failed} emits failed (${sent.firstError})`);
  const got = await fleet.collect(60_000);
  const cpu = cpuMs(system.server.pid) - cpu0;
  const seconds = (got.lastAt - sent.startedAt) / 1000;
  return { rate: got.received / seconds, cpuUsPerDelivery: (cpu * 1000) / got.received, received: got.received, expected: fleet.connections * messages, seconds };
}

/** Messages per round so that a round lasts about `seconds` at the warm-up rate. */
function calibrate(rate: number, clients: number, seconds: number): number {
  return Math.max(20, Math.min(20_000, Math.round((rate * seconds) / clients)));
}

/** The Ignis helper cannot run without Redis: without redis-server it is left out (and said so). */
function systemsFor(ctx: BenchContext): SystemName[] {
  return ctx.hasRedis ? SYSTEMS : SYSTEMS.filter((n) => n !== "ignis");
}

async function startEntries(ctx: BenchContext, clients: number, loaded: Loaded[]): Promise<Entry[]> {
  const redisUrl = ctx.hasRedis ? (await ctx.redis()).url : undefined;
  const entries: Entry[] = [];
  for (const name of systemsFor(ctx)) {
    ctx.log(`fan-out ${clients}: starting ${name} and connecting ${clients} clients`);
    const l = await startLoaded(ctx, name, { count: clients, room: ROOM, redisUrl: name === "ignis" ? redisUrl : undefined });
    loaded.push(l);
    entries.push({ id: name, label: l.label, loaded: l, emit: l.system.emit });
    if (l.system.restEmit) entries.push({ id: "switchboard-rest", label: "Switchboard via REST", loaded: l, emit: l.system.restEmit });
  }
  return entries;
}

async function runSize(ctx: BenchContext, clients: number, rounds: number, roundSeconds: number): Promise<SizeResult> {
  const loaded: Loaded[] = [];
  const out: SizeResult = { clients, rounds: {}, rate: {}, cpu: {}, lost: {} };
  try {
    const entries = await startEntries(ctx, clients, loaded);
    const messages = new Map<Entry, number>();
    // Two warm-ups per entry, calibrated on the second: the first entry's first round runs on a
    // cold JIT, and a rate calibrated on it gave that entry shorter rounds, whose fixed start and
    // tail then weighed more (its library row came out below the REST row that wraps it).
    for (const e of entries) await round(e, Math.max(20, Math.ceil(50_000 / clients)));
    for (const e of entries) {
      const warm = await round(e, Math.max(20, Math.ceil(50_000 / clients)));
      messages.set(e, calibrate(warm.rate, clients, roundSeconds));
    }
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < entries.length; k++) {
        const e = entries[(r + k) % entries.length]!;
        (out.rounds[e.id] ??= []).push(await round(e, messages.get(e)!));
      }
    }
  } finally {
    await Promise.all(loaded.map((l) => l.stop()));
  }
  for (const [id, list] of Object.entries(out.rounds)) {
    out.rate[id] = median(list.map((x) => x.rate));
    out.cpu[id] = median(list.map((x) => x.cpuUsPerDelivery));
    out.lost[id] = list.reduce((n, x) => n + (x.expected - x.received), 0);
  }
  return out;
}

/**
 * Rate of `a` over rate of `b` as the median of per-round ratios: both were measured in the
 * same rotation, seconds apart, so slow changes in machine load cancel.
 */
function paired(s: SizeResult, a: string, b: string): number {
  return median(perRound(s, a, b));
}

function perRound(s: SizeResult, a: string, b: string): number[] {
  const theirs = s.rounds[b]!;
  return s.rounds[a]!.map((r, i) => r.rate / theirs[i]!.rate);
}

/** "0.95× (0.91–1.00 over 9 rounds)" */
function withSpread(s: SizeResult, a: string, b: string): string {
  const ratios = perRound(s, a, b);
  return `${times(median(ratios))} (${spread(ratios)} over ${ratios.length} rounds)`;
}

/** Issue 16: the REST emit, the path users' backends take, against bare Bun in the same rounds. */
const REST_MIN = 0.95;

function restCheck(s: SizeResult): Check {
  const target = `REST emit fan-out throughput, 1 instance, N=${s.clients}: ≥ ${REST_MIN}× bare Bun`;
  if (!s.rounds["switchboard-rest"]) return { target, measured: "skipped (no REST row)", pass: null };
  return { target, measured: withSpread(s, "switchboard-rest", "bare"), pass: paired(s, "switchboard-rest", "bare") >= REST_MIN };
}

function checks(sizes: SizeResult[]): Check[] {
  const out: Check[] = [];
  for (const s of sizes) {
    out.push(restCheck(s));
    const vs = (id: string, min: number, label: string) => {
      const target = `fan-out N=${s.clients}, library toRoom: ≥ ${min}× ${label}`;
      if (!s.rounds[id]) return out.push({ target, measured: "skipped (redis-server not installed)", pass: null });
      out.push({ target, measured: withSpread(s, "switchboard", id), pass: paired(s, "switchboard", id) >= min });
    };
    vs("bare", 0.8, "bare Bun");
    vs("socketio", 3, "Socket.IO");
    vs("ignis", 1.5, "Ignis");
  }
  return out;
}

/** Row order: the REST path first (primary), the library path beside it. */
const LABEL: Record<string, string> = {
  "switchboard-rest": "Switchboard, POST /api/emit (primary)",
  switchboard: "Switchboard, library toRoom (beside)",
  bare: "bare Bun.serve",
  socketio: "Socket.IO 4 (Node)",
  ignis: "Ignis helper (Bun)",
};

export async function fanout(ctx: BenchContext): Promise<ScenarioResult> {
  // A server holds N sockets (plus a few): sizes beyond the open-file limit are left out.
  const sizes = [1000, 5000].filter((n) => n <= ctx.fdLimit - 500);
  if (sizes.length === 0) throw new Error(`the open-file limit (${ctx.fdLimit}) is too low for 1,000 connections: raise it (ulimit -n)`);
  const rounds = ctx.quick ? 3 : 9;
  const roundSeconds = ctx.quick ? 0.5 : 1.2;
  const results: SizeResult[] = [];
  for (const clients of sizes) results.push(await runSize(ctx, clients, rounds, roundSeconds));
  const rows = results.flatMap((s) =>
    Object.keys(LABEL).filter((id) => s.rounds[id]).map((id) => [
      String(s.clients),
      LABEL[id]!,
      `${compact(s.rate[id]!)}/s`,
      times(paired(s, id, "bare")),
      spread(perRound(s, id, "bare")),
      times(paired(s, "switchboard", id)),
      fixed(s.cpu[id]!),
      String(s.lost[id]),
    ]),
  );
  return {
    id: "fanout",
    title: "Fan-out: deliveries per second to N clients in one room",
    table: { columns: ["N", "server", "deliveries", "÷ bare", "÷ bare, min–max", "library ÷ this", "server CPU µs/delivery", "lost"], rows },
    checks: checks(results),
    notes: [
      `${rounds} rotated rounds per server, each ~${roundSeconds} s; rates are medians, ratios medians of per-round ratios; ~100-byte frames; publisher: ${IN_FLIGHT} HTTP emits in flight`,
      "each server's emit route calls its own emit API (toRoom / io.to().emit / helper.send / server.publish); the primary Switchboard row is its REST API, POST /api/emit (auth, validation, recipients count, audit), the path users' backends take; the library row is beside it",
      "÷ bare: median of per-round ratios to the bare server measured in the same rotation; min–max: the spread of those per-round ratios",
    ],
    data: results,
  };
}
