/**
 * deploy/switchboard.service: the unit parses (systemd-analyze verify, when installed), stops
 * with a timeout above the drain bound, and its kill mode drains: the ExecStart command (the
 * node wrapper, no npm) started in its own process group, as systemd's control group, gets one
 * SIGTERM to the whole group; every client is closed 1001 and the process exits 0.
 */
import { describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HTTP_DRAIN_MS } from "../../server/switchboard.ts";
import { connectFleet, fleetTokens, PROJECT_ROOT, SIGNAL_ADMIN, SIGNAL_SECRET } from "../helpers/signal-drain.ts";

const UNIT = readFileSync(join(PROJECT_ROOT, "deploy", "switchboard.service"), "utf8");
const directive = (name: string) => [...UNIT.matchAll(new RegExp(`^${name}=(.*)$`, "gm"))].map((m) => m[1]!.trim());

describe("deploy/switchboard.service", () => {
  test("names its kill mode, restart policy and environment file, and stops after the drain bound", () => {
    expect(directive("KillMode")).toEqual(["control-group"]);
    expect(directive("Restart")).toEqual(["on-failure"]);
    expect(directive("EnvironmentFile")).toHaveLength(1);
    expect(directive("ExecStart")[0]).toContain("bin/switchboard.mjs start");
    const stopS = Number(directive("TimeoutStopSec")[0]);
    // Drain of REST requests, plus SSE (1 s), the 503 window (1 s) and a margin.
    expect(stopS * 1000).toBeGreaterThan(HTTP_DRAIN_MS + 2000);
  });

  test("systemd-analyze verify accepts the unit (paths pointed at this checkout)", () => {
    const which = spawnSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" });
    if (which.status !== 0) {
      console.warn("systemd-analyze not installed (Debian package systemd): unit syntax not verified");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "sb-unit-"));
    try {
      const env = join(dir, "switchboard.env");
      writeFileSync(env, "NODE_ENV=production\n");
      const node = spawnSync("sh", ["-c", "command -v node"], { encoding: "utf8" }).stdout.trim();
      const unit = UNIT.replaceAll("/opt/switchboard", PROJECT_ROOT).replace("/etc/switchboard/switchboard.env", env).replace("/usr/bin/node", node)
        .replace(/^User=.*$/m, "User=root").replace(/^Group=.*$/m, "Group=root");
      const file = join(dir, "switchboard.service");
      writeFileSync(file, unit);
      const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
      const problems = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.includes("switchboard.service"));
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a SIGTERM to the whole group of the ExecStart command drains: every client gets 1001, exit 0", async () => {
    const proc = spawn(process.env.NODE ?? "node", [join(PROJECT_ROOT, "bin", "switchboard.mjs"), "start"], {
      cwd: PROJECT_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", JWT_SECRET: SIGNAL_SECRET, ADMIN_TOKEN: SIGNAL_ADMIN, PORT: "0", HOST: "127.0.0.1", DEFAULT_ROOMS: "fleet" },
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no listening line")), 20_000);
        let buf = "";
        proc.stdout!.on("data", (chunk: Buffer) => {
          buf += chunk.toString();
          const line = buf.split("\n").find((l) => l.includes('"msg":"listening"'));
          if (line) (clearTimeout(timer), resolve(JSON.parse(line).port));
        });
      });
      const fleet = await connectFleet(port, await fleetTokens(50));
      process.kill(-proc.pid!, "SIGTERM");
      const codes = await fleet.closes;
      expect(new Set(codes)).toEqual(new Set([1001]));
      expect(await exited).toBe(0);
    } finally {
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {}
    }
  }, 60_000);
});
