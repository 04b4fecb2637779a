/**
 * @module bench/lib/proc
 * Processes under test: spawning a server and waiting for its `BENCH_READY {json}` line,
 * reading its CPU time and resident memory from /proc, and stopping it. Every process started
 * here is registered and killed at exit, so an interrupted run leaves nothing behind.
 */
import type { Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The line a bench server prints once it accepts connections, followed by its JSON facts. */
export const READY_MARK = "BENCH_READY ";

const CLOCK_TICKS = 100; // USER_HZ on Linux
const running = new Set<Subprocess>();

/**
 * Wraps a command so that it runs with a raised open-file limit (as root the hard limit can be
 * raised too; otherwise the soft limit goes up to the hard one). Tens of thousands of sockets
 * need it; the process keeps the wrapper's pid (`exec`).
 */
export function raiseFdLimit(cmd: string[]): string[] {
  const script = 'ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';
  return ["sh", "-c", script, "sh", ...cmd];
}

export interface ServerProcess {
  name: string;
  proc: Subprocess;
  pid: number;
  port: number;
  /** The JSON after READY_MARK. */
  info: Record<string, unknown>;
  /** The last lines it printed (for error messages). */
  tail(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
  /** Recognises the ready line and returns the facts; by default the READY_MARK line. */
  readyLine?: (line: string) => Record<string, unknown> | undefined;
}

function markedReady(line: string): Record<string, unknown> | undefined {
  return line.startsWith(READY_MARK) ? (JSON.parse(line.slice(READY_MARK.length)) as Record<string, unknown>) : undefined;
}

/** Starts `cmd` and resolves once it printed its ready line; rejects with its output otherwise. */
export async function spawnServer(name: string, cmd: string[], o: SpawnOptions = {}): Promise<ServerProcess> {
  const proc = Bun.spawn(raiseFdLimit(cmd), {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  const lines: string[] = [];
  const isReady = o.readyLine ?? markedReady;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      const facts = isReady(line);
      if (facts) resolve(facts);
    };
    void pump(proc.stdout as ReadableStream<Uint8Array>, onLine);
    void pump(proc.stderr as ReadableStream<Uint8Array>, onLine);
    proc.exited.then((code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${lines.join("\n")}`)));
    setTimeout(() => reject(new Error(`${name} not ready after ${o.timeoutMs ?? 20000} ms:\n${lines.join("\n")}`)), o.timeoutMs ?? 20000);
  });
  let info: Record<string, unknown>;
  try {
    info = await ready;
  } catch (err) {
    proc.kill("SIGKILL");
    running.delete(proc);
    throw err;
  }
  return {
    name,
    proc,
    pid: proc.pid,
    port: Number(info.port),
    info,
    tail: () => lines.join("\n"),
    stop: () => stopProcess(proc),
  };
}

/** Reads a stream line by line until it ends (also keeps the pipe drained). */
async function pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let rest = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    rest += decoder.decode(value, { stream: true });
    let nl = rest.indexOf("\n");
    while (nl >= 0) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
    if (rest.length > 65536) rest = rest.slice(-4096);
  }
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function stopProcess(proc: Subprocess, graceMs = 3000): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await proc.exited;
    clearTimeout(timer);
  }
  running.delete(proc);
}

export function killAllProcesses(): void {
  for (const proc of running) proc.kill("SIGKILL");
  running.clear();
}

/** User + system CPU time of a process (all its threads), in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Open-file limit a spawned process gets through `raiseFdLimit`. */
export async function effectiveFdLimit(): Promise<number> {
  const proc = Bun.spawn(raiseFdLimit(["sh", "-c", "ulimit -n"]), { stdout: "pipe" });
  const text = await new Response(proc.stdout).text();
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : 1024;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
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
