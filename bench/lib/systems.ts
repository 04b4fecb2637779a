/**
 * @module bench/lib/systems
 * The servers under test and how to start each one: which process, which client protocol, and
 * where its publisher sends emits. Every server listens on 127.0.0.1 on a port of its own.
 */
import { join } from "node:path";
import type { ProtocolName } from "./protocols.ts";
import { spawnServer, type ServerProcess } from "./proc.ts";
import type { EmitEndpoint } from "./publish.ts";

export type SystemName = "switchboard" | "bare" | "socketio" | "ignis";

export const SECRET = "bench-secret-0123456789abcdef";
export const ADMIN_TOKEN = "bench-admin-token-0123456789";
const SERVERS = join(import.meta.dir, "..", "servers");

export const LABELS: Record<SystemName, string> = {
  switchboard: "Switchboard",
  bare: "bare Bun.serve",
  socketio: "Socket.IO 4 (Node)",
  ignis: "Ignis helper (Bun)",
};

export interface StartOptions {
  redisUrl?: string;
  /** The built Node bundle of the Socket.IO server (see build.ts). */
  socketioBundle?: string;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
}

export interface RunningSystem {
  name: SystemName;
  protocol: ProtocolName;
  server: ServerProcess;
  /** A minimal HTTP route into the server's own emit API (same shape for every server). */
  emit: EmitEndpoint;
  /** Switchboard only: its real REST API, `POST /api/emit` with an admin token. */
  restEmit?: EmitEndpoint;
  stop(): Promise<void>;
}

const PROTOCOL: Record<SystemName, ProtocolName> = { switchboard: "switchboard", bare: "bare", socketio: "socketio", ignis: "ignis" };

function command(name: SystemName, o: StartOptions): string[] {
  switch (name) {
    case "switchboard":
      return [process.execPath, join(SERVERS, "switchboard.ts")];
    case "bare":
      return [process.execPath, join(SERVERS, "bare.ts")];
    case "ignis":
      return [process.execPath, join(SERVERS, "ignis.ts")];
    case "socketio":
      if (!o.socketioBundle) throw new Error("the Socket.IO server bundle was not built");
      return ["node", "--expose-gc", o.socketioBundle];
  }
}

/** Switchboard is configured exactly like the CLI, from SPEC §2 variables. */
function environment(name: SystemName, o: StartOptions, tmp: string): Record<string, string | undefined> {
  const common = { BENCH_PORT: "0", BENCH_SECRET: SECRET, REDIS_URL: o.redisUrl };
  if (name === "switchboard") {
    return {
      ...common,
      PORT: "0",
      HOST: "127.0.0.1",
      JWT_SECRET: SECRET,
      ADMIN_TOKEN,
      RATE_LIMIT_PER_S: "0",
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
    };
  }
  if (name === "ignis") return { ...common, APP_ENV_LOGGER_FOLDER_PATH: tmp, NODE_ENV: "production" };
  return common;
}

export async function startSystem(name: SystemName, o: StartOptions & { tmp: string }): Promise<RunningSystem> {
  const server = await spawnServer(LABELS[name], command(name, o), { env: { ...environment(name, o, o.tmp), ...o.env }, cwd: name === "ignis" ? o.tmp : undefined });
  const base = `http://127.0.0.1:${server.port}`;
  const emit: EmitEndpoint = { url: `${base}/bench/emit`, headers: { "content-type": "application/json" } };
  const restEmit: EmitEndpoint | undefined =
    name === "switchboard" ? { url: `${base}/api/emit`, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" } } : undefined;
  return { name, protocol: PROTOCOL[name], server, emit, restEmit, stop: () => server.stop() };
}

/** Members of `room` on the server, as the server itself counts them. */
export async function roomSize(system: RunningSystem, room: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${system.server.port}/bench/room?name=${encodeURIComponent(room)}`);
  return ((await res.json()) as { size: number }).size;
}

export interface HeapReading {
  rss: number;
  /** Live JavaScript heap (Bun servers only). */
  heapSize?: number;
  objectCount?: number;
  types?: Record<string, number>;
}

/** Forces a full collection in the server; answers what the server then reports of its memory. */
export async function collectGarbage(system: RunningSystem): Promise<HeapReading> {
  const res = await fetch(`http://127.0.0.1:${system.server.port}/bench/gc`, { method: "POST" });
  return (await res.json()) as HeapReading;
}

/** Polls until the room has `size` members (joins are asynchronous in some servers). */
export async function waitRoomSize(system: RunningSystem, room: string, size: number, timeoutMs = 15000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < until) {
    seen = await roomSize(system, room);
    if (seen >= size) return seen;
    await Bun.sleep(50);
  }
  return seen;
}
