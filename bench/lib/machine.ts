/**
 * @module bench/lib/machine
 * The facts a result needs to be read: cores, CPU model, memory, kernel, Bun and Node
 * versions, the open-file limit, and the load average when the run started (other work on the
 * machine is the noise the ratios are meant to cancel).
 */
import { cpus, loadavg, totalmem } from "node:os";
import { effectiveFdLimit } from "./proc.ts";

async function nodeVersion(): Promise<string> {
  try {
    const proc = Bun.spawn(["node", "--version"], { stdout: "pipe", stderr: "ignore" });
    return (await new Response(proc.stdout).text()).trim() || "not found";
  } catch {
    return "not found";
  }
}

export async function machineFacts(): Promise<Record<string, unknown>> {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    bun: Bun.version,
    node: await nodeVersion(),
    platform: `${process.platform} ${process.arch}`,
    fdLimit: await effectiveFdLimit(),
    loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

export function machineLines(f: Record<string, unknown>): string[] {
  return [
    `machine: ${f.cores} cores (${f.cpu}), ${f.memoryGiB} GiB RAM, ${f.platform}`,
    `runtimes: Bun ${f.bun}, Node ${f.node}; open-file limit ${f.fdLimit}; load average at start ${(f.loadAverage as number[]).join(" ")}`,
  ];
}
