/**
 * Dockerfile and .dockerignore. There is no Docker daemon on every build machine, so the file is
 * checked three ways: the dockerfile-utils linter (from the npm registry through npx, pinned),
 * its essentials parsed (official Bun image, HEALTHCHECK on /healthz, non-root USER, EXPOSE,
 * CMD), and its HEALTHCHECK command run for real with Bun against a real instance.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/instances.ts";
import { freePort } from "../helpers/redis.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { tempDir } from "./helpers.ts";

const DOCKERFILE = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const LINTER = "dockerfile-utils@0.16.3";

/** Instructions with backslash continuations joined; comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(" ") + 1).trim() }));
}

function lint(file: string): { code: number; out: string } {
  const run = Bun.spawnSync(["npx", "--yes", LINTER, "lint", file], { stdout: "pipe", stderr: "pipe", timeout: 120_000 });
  return { code: run.exitCode ?? -1, out: run.stdout.toString() + run.stderr.toString() };
}

describe("Dockerfile", () => {
  const steps = instructions(DOCKERFILE);
  const runtime = steps.slice(steps.map((s) => s.op).lastIndexOf("FROM"));

  test("passes the dockerfile-utils linter (which does flag a broken file)", () => {
    const dir = tempDir("docker");
    const bad = join(dir, "Dockerfile.bad");
    writeFileSync(bad, "FROM oven/bun:1\nEXPOSE notaport\nFOO bar\n");
    const probe = lint(bad);
    if (!probe.out.includes("Unknown instruction")) {
      console.warn(`test/deploy/docker.test.ts: SKIPPED the linter: npx could not run ${LINTER}: ${probe.out.slice(0, 300)}`);
      return;
    }
    expect(probe.code).not.toBe(0);
    const result = lint(join(ROOT, "Dockerfile"));
    expect(result.out).toBe("");
    expect(result.code).toBe(0);
  }, 240_000);

  test("runs on the official Bun image as a non-root user, exposes the port, starts the CLI", () => {
    expect(runtime[0]!.args).toMatch(/^oven\/bun:1(\s|$)/);
    expect(steps.filter((s) => s.op === "FROM").every((s) => s.args.startsWith("oven/bun:1"))).toBe(true);
    const user = runtime.filter((s) => s.op === "USER").at(-1)?.args;
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user!);
    expect(runtime.find((s) => s.op === "EXPOSE")?.args).toBe("3000");
    expect(JSON.parse(runtime.find((s) => s.op === "CMD")!.args)).toEqual(["bun", "server/cli.ts", "start"]);
    expect(runtime.find((s) => s.op === "ENV")?.args).toContain("NODE_ENV=production");
  });

  test("everything it copies exists and is not excluded by .dockerignore", () => {
    const ignored = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const copied = steps.filter((s) => s.op === "COPY" && !s.args.startsWith("--from")).flatMap((s) => s.args.split(/\s+/).slice(0, -1)).filter((p) => p !== ".");
    for (const path of [...copied, "dashboard", "vite.config.ts", "tsconfig.json"]) {
      expect(existsSync(join(ROOT, path)), path).toBe(true);
      expect(ignored, path).not.toContain(path);
    }
    for (const path of ["node_modules", ".git", "dist"]) expect(ignored).toContain(path);
  });

  describe("HEALTHCHECK", () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startServer();
    });
    afterAll(() => s.stop());

    const healthcheck = runtime.find((s) => s.op === "HEALTHCHECK")!;
    const command = JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf("CMD") + 3).trim()) as string[];
    // Asynchronous: the server answering it runs in this process.
    const run = (port: number) => Bun.spawn([process.execPath, ...command.slice(1)], { env: { PATH: process.env.PATH ?? "", PORT: String(port) }, timeout: 20_000 }).exited;

    test("GET /healthz answers {status: ok} without a token", async () => {
      const res = await fetch(`${s.http}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    });

    test("its command, run with Bun, succeeds against a running server and fails when none listens", async () => {
      expect(command[0]).toBe("bun");
      expect(command.join(" ")).toContain("/healthz");
      expect(healthcheck.args).toMatch(/--interval=\d+s/);
      expect(await run(s.port)).toBe(0);
      expect(await run(await freePort())).toBe(1);
    });
  });
});
