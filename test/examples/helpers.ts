/**
 * Starts an example as its README does (a separate Bun process from the repository root) and
 * waits for its JSON `ready` line.
 */
import { join } from "node:path";
import { CliProcess } from "../helpers/process.ts";

export const ROOT = join(import.meta.dir, "..", "..");

export interface RunningExample {
  proc: CliProcess;
  ready: Record<string, string>;
  stop(): Promise<void>;
}

export async function startExample(script: string, env: Record<string, string>, readyTimeoutMs = 20_000): Promise<RunningExample> {
  const proc = new CliProcess(
    Bun.spawn([process.execPath, join(ROOT, script)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as Record<string, string>,
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    }),
  );
  let line: string;
  try {
    line = await proc.waitForLine((l) => l.includes('"msg":"ready"'), readyTimeoutMs, `${script} ready line`);
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return {
    proc,
    ready: JSON.parse(line),
    stop: async () => {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}
