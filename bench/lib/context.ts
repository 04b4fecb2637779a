/**
 * @module bench/lib/context
 * What every scenario gets from the run: the mode, a scratch directory, the shared private
 * Redis (started on first use), the Node bundle of the Socket.IO server, and helpers to start a
 * server under test with a fleet of load generators already connected to it.
 */
import { Fleet } from "./fleet.ts";
import { redisBinary, startRedis, type BenchRedis } from "./redis.ts";
import { SECRET, startSystem, waitRoomSize, LABELS, type RunningSystem, type StartOptions, type SystemName } from "./systems.ts";

export interface BenchContext {
  quick: boolean;
  tmp: string;
  /** Open files a spawned process may hold. */
  fdLimit: number;
  socketioBundle?: string;
  redis(): Promise<BenchRedis>;
  hasRedis: boolean;
  log(message: string): void;
  /** Stops the shared Redis if it was started. */
  close(): Promise<void>;
}

/** Connections one load-generator process holds at most. */
export const PER_WORKER = 2500;

export interface Loaded {
  system: RunningSystem;
  fleet: Fleet;
  label: string;
  stop(): Promise<void>;
}

export interface LoadOptions {
  count: number;
  room?: string;
  redisUrl?: string;
  workers?: number;
  concurrency?: number;
  env?: Record<string, string>;
}

/** Starts `name`, connects `count` ready clients (joined to `room` when given) and checks the joins. */
export async function startLoaded(ctx: BenchContext, name: SystemName, o: LoadOptions): Promise<Loaded> {
  const start: StartOptions & { tmp: string } = { tmp: ctx.tmp, redisUrl: o.redisUrl, socketioBundle: ctx.socketioBundle, env: o.env };
  const system = await startSystem(name, start);
  const fleet = new Fleet(o.workers ?? Math.ceil(o.count / PER_WORKER));
  const stop = async () => {
    await fleet.stop();
    await system.stop();
  };
  try {
    if (o.count > 0) {
      const r = await fleet.connect({ host: "127.0.0.1", port: system.server.port, protocol: system.protocol, count: o.count, concurrency: o.concurrency ?? 64, secret: SECRET, room: o.room, timeoutMs: 30000 });
      if (r.failed > 0) throw new Error(`${LABELS[name]}: ${r.failed} of ${o.count} connections failed (${r.errors.join("; ")})`);
      if (o.room) {
        const size = await waitRoomSize(system, o.room, o.count);
        if (size < o.count) throw new Error(`${LABELS[name]}: only ${size} of ${o.count} clients joined "${o.room}"`);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { system, fleet, label: LABELS[name], stop };
}

export function createContext(quick: boolean, tmp: string, fdLimit: number, socketioBundle?: string): BenchContext {
  let redis: Promise<BenchRedis> | undefined;
  return {
    quick,
    tmp,
    fdLimit,
    socketioBundle,
    hasRedis: redisBinary() !== undefined,
    redis: () => (redis ??= startRedis()),
    log: (message) => console.log(`  … ${message}`),
    close: async () => {
      if (redis) await (await redis).stop();
    },
  };
}
