/**
 * Memory under connection churn (issue 9): runs connect → authenticate → join → disconnect
 * cycles (100,000 by default) against a Switchboard server process and reports whether its
 * memory stays flat.
 *
 *   npm run soak                                  # 100,000 cycles, memory broker
 *   npm run soak -- --cycles 20000 --redis        # with a private redis-server (presence too)
 *   npm run soak -- --concurrency 100 --sample-every 5000 --json soak.json
 *
 * While the cycles run, an admin socket watches the live channel and a sentinel client in room
 * `stream` receives a numbered message every 50 ms (REST emits), which must all arrive. Every
 * `--sample-every` cycles the script reads `process_resident_memory_bytes` and
 * `nodejs_heap_size_used_bytes` from `GET /metrics`. After a warm-up (the first fifth), it fits a
 * least-squares slope to RSS, to the heap, and to the heap's floor (its minimum in each fifth of
 * the steady run: what survives collections, which a leak raises). Verdict: the heap-floor slope must stay
 * under `--max-heap-slope` bytes per cycle (default 40, i.e. 4 MB per 100,000 cycles), the RSS
 * slope under `--max-rss-slope` (default 200), connections/rooms/users must return to their
 * baseline, the sentinel must have everything, and the server must exit 0 on SIGTERM.
 * Exit code 0 when all hold, 1 otherwise. The slopes need a run that spans several collections
 * (the server collects every ~10,000 cycles): judge runs of 50,000 cycles or more.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { signToken } from "../server/auth/jwt.ts";
import { runChurn, slope } from "./churn.ts";

const ROOT = join(import.meta.dir, "..");

const { values: args } = parseArgs({
  options: {
    cycles: { type: "string", default: "100000" },
    concurrency: { type: "string", default: "50" },
    "sample-every": { type: "string", default: "2000" },
    "max-heap-slope": { type: "string", default: "40" },
    "max-rss-slope": { type: "string", default: "200" },
    redis: { type: "boolean", default: false },
    json: { type: "string" },
  },
});

interface Sample {
  cycles: number;
  rss: number;
  heap: number;
}

interface Server {
  proc: ReturnType<typeof Bun.spawn>;
  port: number;
  http: string;
  adminToken: string;
  secret: string;
}

/** Starts `bun server/cli.ts start` on a free port and resolves when it logs "listening". */
async function startServer(env: Record<string, string>): Promise<Server> {
  const secret = randomBytes(24).toString("base64url");
  const adminToken = randomBytes(24).toString("base64url");
  const proc = Bun.spawn([process.execPath, join(ROOT, "server/cli.ts"), "start"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: secret, ADMIN_TOKEN: adminToken, RATE_LIMIT_PER_S: "0", ALLOWED_ROOMS: "churn-*,stream", LOG_LEVEL: "info", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited before listening: ${buffer.slice(-500)}`);
    buffer += decoder.decode(value, { stream: true });
    const line = buffer.split("\n").find((l) => l.includes('"msg":"listening"'));
    if (line) {
      void (async () => { for (;;) if ((await reader.read()).done) return; })(); // keep draining the pipe
      const port = JSON.parse(line).port as number;
      return { proc, port, http: `http://127.0.0.1:${port}`, adminToken, secret };
    }
  }
}

async function metrics(server: Server): Promise<Map<string, number>> {
  const text = await (await fetch(`${server.http}/metrics`, { headers: { authorization: `Bearer ${server.adminToken}` } })).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line) continue;
    const name = line.slice(0, line.search(/[{ ]/));
    const state = /state="(\w+)"/.exec(line)?.[1];
    const key = state ? `${name}:${state}` : name;
    out.set(key, (out.get(key) ?? 0) + Number(line.split(" ").pop()));
  }
  return out;
}

async function sample(server: Server, cycles: number): Promise<Sample> {
  const m = await metrics(server);
  return { cycles, rss: m.get("process_resident_memory_bytes") ?? 0, heap: m.get("nodejs_heap_size_used_bytes") ?? 0 };
}

/** The server's tables, as /metrics shows them. */
async function tableSizes(server: Server): Promise<Record<string, number>> {
  const m = await metrics(server);
  const pick = (k: string) => m.get(k) ?? 0;
  return {
    unauthorized: pick("switchboard_connections:unauthorized"), authenticating: pick("switchboard_connections:authenticating"),
    authenticated: pick("switchboard_connections:authenticated"), encrypted: pick("switchboard_encrypted_sessions"),
    rooms: pick("switchboard_rooms"), users: pick("switchboard_users"), admin: pick("switchboard_admin_connections"),
  };
}

/** A client that stays: the admin watcher or the sentinel. Resolves once it is ready. */
async function stayingSocket(url: string, auth: unknown, readyEvent: string, onFrame: (f: any) => void): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onerror = () => reject(new Error(`${url}: socket error`));
    ws.onopen = () => ws.send(JSON.stringify({ event: "authenticate", data: auth }));
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data));
      onFrame(frame);
      if (frame.event === readyEvent) resolve();
    };
  });
  return ws;
}

/** The sentinel: joins `stream`, then a numbered REST emit every 50 ms; `check()` ends it. */
async function startSentinel(server: Server) {
  const got: number[] = [];
  let ended = false;
  let joined: () => void = () => undefined;
  const join = new Promise<void>((resolve) => (joined = resolve));
  const token = await signToken(server.secret, { sub: "sentinel" }, "24h");
  const ws = await stayingSocket(`ws://127.0.0.1:${server.port}/ws`, { token }, "connected", (f) => {
    if (f.event === "tick") got.push(f.data.n);
    if (f.event === "tick-end") ended = true;
    if (f.event === "ack" && f.data?.id === "join") joined();
  });
  ws.send(JSON.stringify({ event: "join", data: { rooms: ["stream"] }, id: "join" }));
  await join;
  let sent = 0;
  const emit = (event: string, data: unknown) =>
    fetch(`${server.http}/api/emit`, { method: "POST", headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ to: { room: "stream" }, event, data }) });
  let chain: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => (chain = chain.then(() => emit("tick", { n: sent++ }))), 50);
  return {
    ws,
    async check(): Promise<{ sent: number; received: number; missing: number; duplicated: number; inOrder: boolean }> {
      clearInterval(timer);
      await chain;
      await emit("tick-end", {});
      for (let waited = 0; !ended && waited < 10_000; waited += 20) await Bun.sleep(20);
      const unique = new Set(got);
      return { sent, received: got.length, missing: sent - unique.size, duplicated: got.length - unique.size, inOrder: got.every((n, i) => i === 0 || n > got[i - 1]!) };
    },
  };
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/**
 * Slopes after the warm-up fifth: RSS, heap, and the heap's floor — its minimum in each of five
 * equal segments of the steady run, so that each segment spans collections (the heap saw-tooths
 * between them; live data, and so a leak, shows in the floor).
 */
function analyse(samples: Sample[]) {
  const steady = samples.slice(Math.floor(samples.length / 5));
  const size = Math.max(1, Math.floor(steady.length / 5));
  const floors: Array<[number, number]> = [];
  for (let i = 0; i + size <= steady.length; i += size) {
    const window = steady.slice(i, i + size);
    const low = window.reduce((a, b) => (b.heap < a.heap ? b : a));
    floors.push([low.cycles, low.heap]);
  }
  return {
    rssSlope: slope(steady.map((s) => [s.cycles, s.rss])),
    heapSlope: slope(steady.map((s) => [s.cycles, s.heap])),
    heapFloorSlope: slope(floors),
  };
}

function printTable(samples: Sample[]): void {
  console.log("\n  cycles      RSS MiB   heap MiB");
  for (const s of samples) console.log(`  ${String(s.cycles).padStart(7)}   ${mib(s.rss).padStart(8)}   ${mib(s.heap).padStart(8)}`);
}

async function main(): Promise<number> {
  const cycles = Number(args.cycles);
  const every = Number(args["sample-every"]);
  const redis = args.redis ? await (await import("../test/helpers/redis.ts")).startRedis() : undefined;
  const server = await startServer(redis ? { REDIS_URL: redis.url } : {});
  console.log(`switchboard pid ${server.proc.pid} on port ${server.port}${redis ? ` with redis ${redis.url}` : " (memory broker)"}; ${cycles} cycles, concurrency ${args.concurrency}`);
  let adminFrames = 0;
  const admin = await stayingSocket(`ws://127.0.0.1:${server.port}/admin/ws`, { token: server.adminToken }, "snapshot", () => void adminFrames++);
  const sentinel = await startSentinel(server);
  const baseline = await tableSizes(server);
  const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => signToken(server.secret, { sub: `churner-${i}` }, "24h")));
  const samples: Sample[] = [await sample(server, 0)];
  const result = await runChurn({
    url: `ws://127.0.0.1:${server.port}/ws`, tokens, cycles, concurrency: Number(args.concurrency), rooms: 100, every,
    onProgress: async (done) => {
      samples.push(await sample(server, done));
      if (done % (every * 5) === 0) console.log(`  ${done} cycles, RSS ${mib(samples.at(-1)!.rss)} MiB, heap ${mib(samples.at(-1)!.heap)} MiB`);
    },
  });
  return finish({ server, redis, admin, sentinel, baseline, samples, result, adminFrames: () => adminFrames });
}

async function finish(o: {
  server: Server; redis?: { stop(): Promise<void> }; admin: WebSocket; sentinel: Awaited<ReturnType<typeof startSentinel>>;
  baseline: Record<string, number>; samples: Sample[]; result: Awaited<ReturnType<typeof runChurn>>; adminFrames: () => number;
}): Promise<number> {
  let after = await tableSizes(o.server);
  for (let waited = 0; JSON.stringify(after) !== JSON.stringify(o.baseline) && waited < 10_000; waited += 100) {
    await Bun.sleep(100);
    after = await tableSizes(o.server);
  }
  const stream = await o.sentinel.check();
  const slopes = analyse(o.samples);
  printTable(o.samples);
  o.admin.close();
  o.sentinel.ws.close();
  o.server.proc.kill("SIGTERM");
  const exitCode = await o.server.proc.exited;
  await o.redis?.stop();
  const checks = {
    "no failed cycle": o.result.failures.length === 0,
    [`heap floor slope < ${args["max-heap-slope"]} B/cycle`]: slopes.heapFloorSlope < Number(args["max-heap-slope"]),
    [`RSS slope < ${args["max-rss-slope"]} B/cycle`]: slopes.rssSlope < Number(args["max-rss-slope"]),
    "tables back to baseline": JSON.stringify(after) === JSON.stringify(o.baseline),
    "sentinel stream complete, in order": stream.missing === 0 && stream.duplicated === 0 && stream.inOrder,
    "admin watcher received frames": o.adminFrames() > 0,
    "exit 0 on SIGTERM": exitCode === 0,
  };
  const summary = { cycles: o.result.done, seconds: Math.round(o.result.ms / 1000), cyclesPerSec: Math.round(o.result.done / (o.result.ms / 1000)), slopes, baseline: o.baseline, after, stream, failures: o.result.failures.slice(0, 10), checks, samples: o.samples };
  console.log(`\n  ${summary.cycles} cycles in ${summary.seconds} s (${summary.cyclesPerSec}/s); failures: ${o.result.failures.length}`);
  console.log(`  slopes (bytes per cycle): RSS ${slopes.rssSlope.toFixed(1)}, heap ${slopes.heapSlope.toFixed(1)}, heap floor ${slopes.heapFloorSlope.toFixed(1)}`);
  console.log(`  tables before ${JSON.stringify(o.baseline)}\n  tables after  ${JSON.stringify(after)}`);
  console.log(`  sentinel: ${JSON.stringify(stream)}; server exit code ${exitCode}`);
  for (const [name, ok] of Object.entries(checks)) console.log(`  ${ok ? "PASS" : "FAIL"}  ${name}`);
  if (o.result.failures.length > 0) console.log(`  first failures:\n    ${o.result.failures.slice(0, 5).join("\n    ")}`);
  if (args.json) await Bun.write(args.json, JSON.stringify(summary, null, 2));
  return Object.values(checks).every(Boolean) ? 0 : 1;
}

process.exit(await main());
