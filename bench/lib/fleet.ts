/**
 * @module bench/lib/fleet
 * The orchestrator's handle on a group of load-generator processes aimed at one server:
 * spawns `bench/worker.ts` with `process.execPath` and IPC, splits connection counts between
 * them, and merges their answers. A fleet must be `stop()`ped; `stopAll()` is the safety net
 * at exit.
 */
import type { Subprocess } from "bun";
import { join } from "node:path";
import type {
  ConnectRequest,
  ConnectResult,
  HeartbeatResult,
  MeasureResult,
  WorkerReply,
  WorkerRequest,
} from "./messages.ts";
import { raiseFdLimit } from "./proc.ts";

const WORKER = join(import.meta.dir, "..", "worker.ts");
const live = new Set<Fleet>();

class WorkerHandle {
  private seq = 0;
  private waiting = new Map<number, (reply: WorkerReply) => void>();
  readonly proc: Subprocess;

  constructor() {
    this.proc = Bun.spawn(raiseFdLimit([process.execPath, WORKER]), {
      stdio: ["ignore", "inherit", "inherit"],
      ipc: (msg: WorkerReply) => {
        const done = this.waiting.get(msg.seq);
        this.waiting.delete(msg.seq);
        done?.(msg);
      },
      serialization: "advanced",
    });
  }

  async request<T>(req: WorkerRequest): Promise<T> {
    const seq = ++this.seq;
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      this.waiting.set(seq, resolve);
      this.proc.exited.then((code) => reject(new Error(`bench worker exited (${code}) during ${req.cmd}`)));
      this.proc.send({ ...req, seq });
    });
    if (!reply.ok) throw new Error(`bench worker ${req.cmd}: ${reply.error}`);
    return reply.result as T;
  }
}

export interface FleetConnect extends Omit<ConnectRequest, "cmd" | "count" | "subPrefix"> {
  count: number;
  subPrefix?: string;
}

export class Fleet {
  private readonly workers: WorkerHandle[];
  /** Connections held per worker (for splitting expectations). */
  readonly held: number[];

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => new WorkerHandle());
    this.held = this.workers.map(() => 0);
    live.add(this);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Opens `count` connections spread over the workers; merges their timings. */
  async connect(o: FleetConnect): Promise<ConnectResult> {
    const shares = split(o.count, this.workers.length);
    const base = this.held.reduce((a, b) => a + b, 0);
    let offset = base;
    const results = await Promise.all(
      this.workers.map((w, i) => {
        const req: ConnectRequest = { ...o, cmd: "connect", count: shares[i]!, subPrefix: `${o.subPrefix ?? "u"}${offset}-` };
        offset += shares[i]!;
        return w.request<ConnectResult>(req);
      }),
    );
    results.forEach((r, i) => (this.held[i]! += r.ready));
    return {
      ready: sum(results.map((r) => r.ready)),
      failed: sum(results.map((r) => r.failed)),
      startedAt: Math.min(...results.map((r) => r.startedAt)),
      endedAt: Math.max(...results.map((r) => r.endedAt)),
      errors: results.flatMap((r) => r.errors).slice(0, 5),
    };
  }

  /** Arms counting of `event` frames: each held connection expects `perConnection` of them. */
  async arm(o: { event: string; perConnection: number; stamps: boolean }): Promise<void> {
    await Promise.all(this.workers.map((w, i) => w.request({ cmd: "arm", event: o.event, stamps: o.stamps, expected: this.held[i]! * o.perConnection })));
  }

  /** Waits for the armed count (or the timeout) and merges the workers' results. */
  async collect(timeoutMs: number): Promise<MeasureResult> {
    const results = await Promise.all(this.workers.map((w) => w.request<MeasureResult>({ cmd: "collect", timeoutMs })));
    const active = results.filter((r) => r.received > 0);
    return {
      received: sum(results.map((r) => r.received)),
      firstAt: active.length ? Math.min(...active.map((r) => r.firstAt)) : 0,
      lastAt: active.length ? Math.max(...active.map((r) => r.lastAt)) : 0,
      samples: results.flatMap((r) => r.samples),
    };
  }

  async heartbeats(durationMs: number, intervalMs: number): Promise<HeartbeatResult> {
    const results = await Promise.all(this.workers.map((w) => w.request<HeartbeatResult>({ cmd: "heartbeats", durationMs, intervalMs })));
    return { sent: sum(results.map((r) => r.sent)), answered: sum(results.map((r) => r.answered)), samples: results.flatMap((r) => r.samples) };
  }

  get connections(): number {
    return sum(this.held);
  }

  /** Closes `count` of the oldest connections, spread over the workers as `connect` spread them. */
  async closeSome(count: number): Promise<void> {
    const shares = split(Math.min(count, this.connections), this.workers.length);
    await Promise.all(this.workers.map((w, i) => w.request({ cmd: "close", count: Math.min(shares[i]!, this.held[i]!) })));
    shares.forEach((n, i) => (this.held[i] = Math.max(0, this.held[i]! - n)));
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ cmd: "close" })));
    this.held.fill(0);
  }

  async stop(): Promise<void> {
    live.delete(this);
    await Promise.all(
      this.workers.map(async (w) => {
        w.proc.kill();
        await w.proc.exited;
      }),
    );
  }
}

/** Kills every fleet still running (on error or interrupt). */
export function stopAllFleets(): void {
  for (const fleet of live) void fleet.stop();
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
