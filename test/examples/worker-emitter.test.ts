/**
 * Smoke test of examples/worker-emitter, started as its README says: a Switchboard instance
 * (the CLI) and the worker share a private redis-server; an SDK client in the `jobs` room gets
 * the worker's progress, and its user gets the result.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { signToken } from "../../server/auth/jwt.ts";
import { createClient } from "../../shared/client/index.ts";
import { CliProcess } from "../helpers/process.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { waitFor } from "../sdk/helpers.ts";
import { startExample, type RunningExample } from "./helpers.ts";

const SECRET = "worker-example-secret-0123456789abcdef";
let redis: TestRedis;
let switchboard: CliProcess;
let worker: RunningExample;
let port: number;

beforeAll(async () => {
  redis = await startRedis();
  switchboard = CliProcess.start(["start"], { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", REDIS_URL: redis.url, JWT_SECRET: SECRET, ALLOWED_ROOMS: "jobs" });
  port = await switchboard.port(15_000);
  worker = await startExample("examples/worker-emitter/worker.mjs", { REDIS_URL: redis.url, INTERVAL_MS: "100", JOB_OWNER: "ops-user" });
}, 30_000);
afterAll(async () => {
  await worker?.stop();
  switchboard?.kill();
  await switchboard?.exited;
  await redis?.stop();
});

test("a client in the jobs room receives the worker's progress and its owner the result", async () => {
  const client = createClient({ url: `ws://127.0.0.1:${port}/ws`, token: () => signToken(SECRET, { sub: "ops-user" }, "5m") });
  try {
    const progress: Array<{ job: string; percent: number }> = [];
    const done: Array<{ job: string; result: string }> = [];
    client.on("job:progress", (p) => progress.push(p as { job: string; percent: number }));
    client.on("job:done", (d) => done.push(d as { job: string; result: string }));
    await client.join("jobs");
    await waitFor(() => done.length >= 1, 10_000, "job:done from the worker");
    expect(done[0]!.result).toMatch(/^report-\d+\.pdf$/);
    expect(progress.some((p) => p.job === done[0]!.job && p.percent === 100)).toBe(true);
  } finally {
    client.close();
  }
}, 20_000);

test("the worker refuses to start without REDIS_URL", async () => {
  const proc = Bun.spawn([process.execPath, "examples/worker-emitter/worker.mjs"], { cwd: `${import.meta.dir}/../..`, env: { PATH: process.env.PATH! }, stderr: "pipe", stdout: "pipe" });
  expect(await proc.exited).toBe(2);
  expect(await new Response(proc.stderr).text()).toContain("REDIS_URL is required");
});
