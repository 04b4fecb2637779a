/**
 * A private `redis-server` for tests: started on a free port with no persistence (never the
 * system Redis on 6379), killed and restarted on the same port to simulate an outage, and
 * stopped when the test process exits. Readiness is an event (the "Ready to accept
 * connections" log line, then a PING answered), never a sleep.
 */
import { createServer, createConnection } from "node:net";
import type { Subprocess } from "bun";

const READY_LINE = "Ready to accept connections";
const START_TIMEOUT_MS = 10_000;

export interface TestRedis {
  port: number;
  url: string;
  /** SIGKILL, like a crash: clients see the connection drop. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  /** Stops it for good (also done at process exit). */
  stop(): Promise<void>;
}

export function redisServerBinary(): string {
  const bin = Bun.which("redis-server");
  if (!bin) {
    throw new Error("redis-server not found on PATH: the multi-instance and Redis broker tests need it. Install the Debian package `redis-server` (apt-get install redis-server).");
  }
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves when one PING is answered with PONG. */
export function ping(port: number, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const timer = setTimeout(() => fail(new Error(`redis on ${port}: no PONG within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once("error", fail);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (chunk) => {
      clearTimeout(timer);
      socket.end();
      if (chunk.toString().startsWith("+PONG")) resolve();
      else reject(new Error(`redis on ${port}: unexpected reply ${JSON.stringify(chunk.toString())}`));
    });
  });
}

/** Spawns redis-server and resolves once it logged readiness and answered PING; rejects if it exits first. */
async function spawnRedis(bin: string, port: number): Promise<Subprocess> {
  const proc = Bun.spawn([bin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], {
    stdout: "pipe",
    stderr: "ignore",
  });
  // Reads stdout to the end (a full pipe would block redis) and resolves at the readiness line.
  const ready = new Promise<void>((resolve, reject) => {
    void (async () => {
      const decoder = new TextDecoder();
      let log = "";
      let seen = false;
      const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        if (seen) continue;
        log += decoder.decode(chunk.value);
        if (log.includes(READY_LINE)) {
          seen = true;
          resolve();
        }
      }
      if (!seen) reject(new Error(`redis-server on port ${port} exited before it was ready: ${log.slice(-500)}`));
    })();
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis-server on port ${port} not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
  });
  try {
    await Promise.race([ready, timeout]);
    await ping(port);
    return proc;
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

/** Starts a private redis-server on a free port (retries a port taken in between). */
export async function startRedis(): Promise<TestRedis> {
  const bin = redisServerBinary();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      return handle(bin, port, await spawnRedis(bin, port));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

function handle(bin: string, port: number, first: Subprocess): TestRedis {
  let proc: Subprocess | undefined = first;
  running.add(first);
  const kill = async () => {
    if (!proc) return;
    const p = proc;
    proc = undefined;
    running.delete(p);
    p.kill("SIGKILL");
    await p.exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      proc = await spawnRedis(bin, port);
      running.add(proc);
    },
    stop: kill,
  };
}
