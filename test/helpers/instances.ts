/**
 * Switchboard instances as separate processes (`bun server/cli.ts start`, as `npm start` runs
 * it), each on PORT=0. The chosen port comes from the JSON `listening` log line on stdout; every
 * log line is kept so that a test can wait for one ("redis broker reconnected…") instead of
 * sleeping, and can check what was logged.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { signToken } from "../../server/auth/jwt.ts";
import { ensureDashboardBuilt } from "../../server/dashboard/build.ts";
import { silentLogger } from "../../server/core/types.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "./server.ts";
import { TestClient } from "./ws-client.ts";
import { startRedis, type TestRedis } from "./redis.ts";

export const ROOT = join(import.meta.dir, "..", "..");
const CLI = join(ROOT, "server", "cli.ts");

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export interface Instance {
  id: string;
  port: number;
  http: string;
  ws: string;
  proc: Subprocess;
  logs: LogLine[];
  /** Resolves with the first log line (past or future) matching, or rejects after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number, label?: string): Promise<LogLine>;
  client(claims?: Record<string, unknown>): Promise<TestClient>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number>;
}

/** A fresh clone has no built dashboard; build it once here rather than in every instance at once. */
export function prepareInstances(): Promise<void> {
  return ensureDashboardBuilt(silentLogger);
}

const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

export async function startInstance(id: string, env: Record<string, string>, timeoutMs = 10_000): Promise<Instance> {
  const proc = Bun.spawn([process.execPath, CLI, "start"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test",
      PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", INSTANCE_ID: id,
      JWT_SECRET: TEST_SECRET, ADMIN_TOKEN, ALLOWED_ROOMS: "*", RATE_LIMIT_PER_S: "0",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(proc);
  const logs: LogLine[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  void readLines(proc.stdout as ReadableStream<Uint8Array>, (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { level: 0, msg: text };
    }
    logs.push(line);
    for (const w of [...waiters]) if (w.match(line)) (waiters.delete(w), w.resolve(line));
  });
  const stderr = new Response(proc.stderr as ReadableStream<Uint8Array>).text();

  const waitForLog = (match: (l: LogLine) => boolean, ms = 5000, label = "log line") => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = { match, resolve: (l: LogLine) => (clearTimeout(timer), resolve(l)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`instance ${id}: no ${label} within ${ms} ms; last lines: ${JSON.stringify(logs.slice(-5))}`));
      }, ms);
      waiters.add(waiter);
    });
  };

  const exited = proc.exited.then(async (code) => {
    throw new Error(`instance ${id} exited with ${code} before listening: ${(await stderr).slice(-1000)} ${JSON.stringify(logs.slice(-5))}`);
  });
  const listening = await Promise.race([waitForLog((l) => l.msg === "listening", timeoutMs, "listening line"), exited]);
  exited.catch(() => undefined);
  const port = Number(listening.port);
  const ws = `ws://127.0.0.1:${port}/ws`;
  return {
    id, port, ws, proc, logs, waitForLog,
    http: `http://127.0.0.1:${port}`,
    client: async (claims = { sub: "u1" }) => TestClient.authenticated(ws, await signToken(TEST_SECRET, claims, "1h")),
    stop: async () => {
      proc.kill("SIGTERM");
      const code = await proc.exited;
      running.delete(proc);
      return code;
    },
  };
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let buffer = "";
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    buffer += decoder.decode(chunk.value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) onLine(line);
    }
  }
}

/** POST /api/emit on an instance with the admin token. */
export async function restEmit(instance: { http: string }, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${instance.http}/api/emit`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function ready(instance: { http: string }): Promise<{ status: number; body: any }> {
  const res = await fetch(`${instance.http}/api/ready`);
  return { status: res.status, body: await res.json() };
}

/** Log lines of the Redis broker's state changes (one each per outage). */
export const BROKER_DOWN_LOG = "redis broker disconnected; cross-instance delivery paused, reconnecting";
export const BROKER_UP_LOG = "redis broker reconnected and resubscribed";

/** Two instances (processes) on a private redis-server, with one client on each in `room`. */
export interface RedisPair {
  redis: TestRedis;
  a: Instance;
  b: Instance;
  x: TestClient;
  y: TestClient;
  stop(): Promise<void>;
}

export async function startRedisPair(name: string, room: string, [subA, subB]: [string, string]): Promise<RedisPair> {
  await prepareInstances();
  const redis = await startRedis();
  const [a, b] = await Promise.all([startInstance(`${name}-a`, { REDIS_URL: redis.url }), startInstance(`${name}-b`, { REDIS_URL: redis.url })]);
  await Promise.all([a, b].map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
  const [x, y] = await Promise.all([a.client({ sub: subA }), b.client({ sub: subB })]);
  await Promise.all([x.request("join", { rooms: [room] }), y.request("join", { rooms: [room] })]);
  return {
    redis, a, b, x, y,
    async stop() {
      x.close();
      y.close();
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    },
  };
}
