/**
 * @module bench/lib/redis
 * A private `redis-server` for the scenarios that need one: a free port on 127.0.0.1 (never the
 * system instance on 6379), no persistence, a temporary working directory, stopped at the end.
 * Readiness is the server's own log line, not a sleep.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnServer, type ServerProcess } from "./proc.ts";

export interface BenchRedis {
  url: string;
  port: number;
  server: ServerProcess;
  stop(): Promise<void>;
}

/** Undefined when `redis-server` is not installed (scenarios that need it are then skipped). */
export function redisBinary(): string | undefined {
  return Bun.which("redis-server") ?? undefined;
}

export async function startRedis(): Promise<BenchRedis> {
  const bin = redisBinary();
  if (!bin) throw new Error("redis-server not found on PATH (Debian package: redis-server)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
  const server = await spawnServer("redis-server", [bin, ...args], {
    readyLine: (line) => (line.includes("Ready to accept connections") ? { port } : undefined),
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
