/**
 * @module bench/scenarios/sse
 * SSE clients beside WebSocket clients on one Switchboard (SPEC §15): memory per connection of
 * each transport (server RSS after a forced GC, before and after each group connects, divided by
 * its size), and fan-out to a room holding both — deliveries per emit (the fan-out ratio, as the
 * REST emit reports it) and how long until every SSE stream has the message.
 *
 * SSE streams are opened from this process (ticket, then a fetch stream that only counts the
 * events it parses); WebSocket clients come from the usual generator fleet. Size: 1,000 of each
 * (`BENCH_SSE_CLIENTS` overrides it, for a small smoke run).
 */
import { signToken } from "../../server/auth/jwt.ts";
import { startLoaded, type BenchContext, type Loaded } from "../lib/context.ts";
import { rssBytes } from "../lib/proc.ts";
import type { ScenarioResult } from "../lib/report.ts";
import { fixed, kib, median, percentile, times } from "../lib/stats.ts";
import { collectGarbage, SECRET, waitRoomSize } from "../lib/systems.ts";

const ROOM = "sse-bench";
const EMITS = 20;

interface Stream {
  events: number;
  abort: AbortController;
}

async function settledRss(l: Loaded): Promise<number> {
  await collectGarbage(l.system);
  await Bun.sleep(300);
  await collectGarbage(l.system);
  return rssBytes(l.system.server.pid);
}

/** One SSE client: ticket for a distinct user, then the stream, counting `fan` events. */
async function openStream(base: string, n: number): Promise<Stream> {
  const token = await signToken(SECRET, { sub: `sse-${n}`, rooms: [ROOM] }, "1h");
  const t = await fetch(`${base}/sse/ticket`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ rooms: [ROOM] }) });
  if (t.status !== 200) throw new Error(`ticket refused: ${t.status} ${await t.text()}`);
  const { ticket } = (await t.json()) as { ticket: string };
  const abort = new AbortController();
  const res = await fetch(`${base}/sse?ticket=${ticket}`, { signal: abort.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
  const stream: Stream = { events: 0, abort };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        stream.events += decoder.decode(value, { stream: true }).split("event: fan\n").length - 1;
      }
    } catch {
      // aborted at the end of the scenario
    }
  })();
  return stream;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) return false;
    await Bun.sleep(2);
  }
  return true;
}

export async function sse(ctx: BenchContext): Promise<ScenarioResult> {
  const count = Number(process.env.BENCH_SSE_CLIENTS ?? 1000);
  ctx.log(`sse: ${count} WebSocket clients and ${count} SSE clients in one room`);
  const l = await startLoaded(ctx, "switchboard", { count: 0, workers: Math.max(1, Math.ceil(count / 2500)), env: { ALLOWED_ROOMS: ROOM } });
  const base = `http://127.0.0.1:${l.system.server.port}`;
  const streams: Stream[] = [];
  try {
    const empty = await settledRss(l);
    const r = await l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: l.system.protocol, count, concurrency: 64, secret: SECRET, room: ROOM, timeoutMs: 60_000 });
    if (r.failed > 0) throw new Error(`${r.failed} of ${count} WebSocket connections failed (${r.errors.join("; ")})`);
    await waitRoomSize(l.system, ROOM, count);
    const withWs = await settledRss(l);
    for (let i = 0; i < count; i += 50) streams.push(...(await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, k) => openStream(base, i + k)))));
    await waitRoomSize(l.system, ROOM, 2 * count);
    const withSse = await settledRss(l);
    const latencies: number[] = [];
    const recipients: number[] = [];
    for (let e = 1; e <= EMITS; e++) {
      const started = performance.now();
      const res = await fetch(l.system.restEmit!.url, { method: "POST", headers: l.system.restEmit!.headers, body: JSON.stringify({ event: "fan", data: { e, pad: "x".repeat(200) }, to: { room: ROOM } }) });
      recipients.push(((await res.json()) as { recipients: number }).recipients);
      if (!(await until(() => streams.every((s) => s.events >= e), 30_000))) throw new Error(`emit ${e}: not every SSE stream got it within 30 s`);
      latencies.push(performance.now() - started);
    }
    const wsPer = (withWs - empty) / count;
    const ssePer = (withSse - withWs) / count;
    const ratio = median(recipients) / (2 * count);
    return {
      id: "sse",
      title: `SSE beside WebSocket: ${count.toLocaleString("en")} clients of each in one room`,
      table: {
        columns: ["measure", "WebSocket", "SSE"],
        rows: [
          ["RSS per connection", kib(wsPer), kib(ssePer)],
          ["SSE ÷ WebSocket", "", times(ssePer / wsPer)],
          ["deliveries per emit (both transports)", String(median(recipients)), ""],
          ["emit → every SSE stream has it, p50 / p99 ms", "", `${fixed(median(latencies), 1)} / ${fixed(percentile(latencies, 99), 1)}`],
        ],
      },
      checks: [{ target: "every emit reaches every WebSocket and SSE member (fan-out ratio 1.0)", measured: fixed(ratio, 3), pass: ratio === 1 }],
      notes: [
        "RSS delta of the server after forced GC per group, divided by its size",
        "SSE members are served by direct sends (no Bun topics), one formatted chunk per emit shared by all of them",
      ],
      data: { count, empty, withWs, withSse, recipients, latencies },
    };
  } finally {
    for (const s of streams) s.abort.abort();
    await l.stop();
  }
}
