/**
 * A private 3-node Redis Cluster for tests: three `redis-server --cluster-enabled yes` on free
 * ports (no persistence, config files in a temporary folder), joined with
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, ready once every node
 * reports `cluster_state:ok`. Killed nodes restart on the same ports with the same cluster
 * config, so the cluster comes back (empty) like after a crash. Readiness is polled with a
 * deadline, never slept.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, ping, redisServerBinary } from "./redis.ts";

export interface TestRedisCluster {
  ports: number[];
  /** `host:port` of every node (REDIS_CLUSTER_NODES). */
  nodes: string[];
  /** SIGKILL every node. */
  kill(): Promise<void>;
  /** Starts every node again on its port and waits for `cluster_state:ok`. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The redis-cli binary, or undefined (the Debian package `redis-tools` provides it). */
export function redisCliBinary(): string | undefined {
  return Bun.which("redis-cli") ?? undefined;
}

export const MISSING_CLI = "redis-cli not found on PATH: the Redis Cluster tests are skipped. Install the Debian package `redis-tools` (apt-get install redis-tools) to run them.";

const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

function spawnNode(bin: string, port: number, dir: string): Subprocess {
  const proc = Bun.spawn([
    bin, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no",
    "--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000", "--dir", dir,
  ], { stdout: "ignore", stderr: "ignore" });
  running.add(proc);
  return proc;
}

async function run(cmd: string[]): Promise<string> {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout as ReadableStream<Uint8Array>).text(), new Response(proc.stderr as ReadableStream<Uint8Array>).text()]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${err || out}`);
  return out;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}

async function clusterOk(cli: string, ports: number[]): Promise<void> {
  for (const port of ports) {
    await until(`cluster_state:ok on ${port}`, async () => (await run([cli, "-p", String(port), "cluster", "info"])).includes("cluster_state:ok"));
  }
}

/** Starts three nodes and creates the cluster; throws a clear error when a binary is missing. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const bin = redisServerBinary();
  const cli = redisCliBinary();
  if (!cli) throw new Error(MISSING_CLI);
  const dir = mkdtempSync(join(tmpdir(), "sb-redis-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  let procs = ports.map((port) => spawnNode(bin, port, dir));
  await Promise.all(ports.map((port) => until(`node ${port} up`, async () => (await ping(port, 500), true))));
  await run([cli, "--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
  await clusterOk(cli, ports);
  const kill = async () => {
    for (const proc of procs) {
      proc.kill("SIGKILL");
      running.delete(proc);
    }
    await Promise.all(procs.map((p) => p.exited));
  };
  return {
    ports,
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    kill,
    restart: async () => {
      await kill();
      procs = ports.map((port) => spawnNode(bin, port, dir));
      await Promise.all(ports.map((port) => until(`node ${port} up`, async () => (await ping(port, 500), true))));
      await clusterOk(cli, ports);
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
