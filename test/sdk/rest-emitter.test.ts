/**
 * The REST emitter of `switchboard/emitter` (shared/rest-emitter.ts) against a real server, on
 * Bun and on Node.js: it sends `Idempotency-Key`, so a retry with the same key delivers nothing
 * and reports `replayed: true`; refusals reject with the server's status and code.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRestEmitter, RestEmitError } from "../../shared/emitter.ts";
import { ROOT } from "../helpers/instances.ts";
import { EMIT_TOKEN, startServer, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import type { TestClient } from "../helpers/ws-client.ts";

let s: TestServer;
let watcher: TestClient;
let fences = 0;

beforeAll(async () => {
  s = await startServer({ allowedRooms: ["*"] });
  watcher = await s.client({ sub: "watcher" });
  await watcher.request("join", { rooms: ["rest"] });
});
afterAll(async () => {
  watcher.close();
  await s.stop();
});

/** Frames of `event` the watcher got, once a fence sent after everything has arrived. */
async function delivered(event: string): Promise<number> {
  const fence = `fence-${++fences}`;
  await createRestEmitter({ url: s.http, token: EMIT_TOKEN }).emit({ room: "rest" }, fence);
  await watcher.waitForEvent(fence, 5000);
  return watcher.frames.filter((f) => f.event === event).length;
}

describe("on Bun", () => {
  test("emit with an idempotencyKey twice: delivered once, the same answer, the second replayed", async () => {
    const rest = createRestEmitter({ url: `${s.http}/`, token: EMIT_TOKEN });
    const first = await rest.emit({ room: "rest" }, "bun-once", { a: 1 }, { idempotencyKey: "bun-key" });
    expect(first).toEqual({ id: expect.any(String), recipients: 1, replayed: false });
    expect(await rest.emit({ room: "rest" }, "bun-once", { a: 1 }, { idempotencyKey: "bun-key" })).toEqual({ ...first, replayed: true });
    expect(await delivered("bun-once")).toBe(1);
  });

  test("emitBatch with a key: delivered once, items replayed", async () => {
    const rest = createRestEmitter({ url: s.http, token: EMIT_TOKEN });
    const messages = [{ to: { room: "rest" }, event: "bun-batch" }, { to: { room: "rest" }, event: "bun-batch", exclude: ["nobody"] }];
    const first = await rest.emitBatch(messages, { idempotencyKey: "bun-batch-key" });
    expect(first.items).toHaveLength(2);
    expect(await rest.emitBatch(messages, { idempotencyKey: "bun-batch-key" })).toEqual({ items: first.items, replayed: true });
    expect(await delivered("bun-batch")).toBe(2);
  });

  test("the same key for another message rejects with a RestEmitError 422", async () => {
    const rest = createRestEmitter({ url: s.http, token: EMIT_TOKEN });
    await rest.emit({ room: "rest" }, "bun-first", 1, { idempotencyKey: "bun-reused" });
    const err = await rest.emit({ room: "rest" }, "bun-second", 1, { idempotencyKey: "bun-reused" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestEmitError);
    expect(err).toMatchObject({ status: 422, code: "idempotency_key_reused", field: "Idempotency-Key" });
    expect(await delivered("bun-second")).toBe(0);
  });

  test("an invalid key is a TypeError and nothing is sent", async () => {
    const rest = createRestEmitter({ url: s.http, token: EMIT_TOKEN });
    for (const key of ["", "k".repeat(129), "a\nb"]) await expect(rest.emit({ room: "rest" }, "bun-bad-key", 1, { idempotencyKey: key })).rejects.toThrow(TypeError);
    expect(await delivered("bun-bad-key")).toBe(0);
  });

  test("a token without the emit permission rejects with 403; bad options are TypeErrors", async () => {
    await expect(createRestEmitter({ url: s.http, token: VIEWER_TOKEN }).emit({ broadcast: true }, "x")).rejects.toMatchObject({ status: 403, code: "forbidden" });
    expect(() => createRestEmitter({ url: "localhost:3000", token: EMIT_TOKEN })).toThrow(TypeError);
    expect(() => createRestEmitter({ url: s.http, token: "" })).toThrow(TypeError);
  });
});

const NODE_OUT = join(ROOT, "node_modules", ".cache", "switchboard-test-rest");
const NODE_RUNNER = `import { createRestEmitter } from "./emitter.mjs";
const [url, token] = process.argv.slice(2);
const rest = createRestEmitter({ url, token });
const answers = [];
for (let i = 0; i < 2; i++) answers.push(await rest.emit({ room: "rest" }, "node-once", { n: 1 }, { idempotencyKey: "node-key" }));
console.log(JSON.stringify(answers));
`;

describe("on Node.js", () => {
  test("the bundled switchboard/emitter sends the key: two emits, one delivery, the second replayed", async () => {
    mkdirSync(NODE_OUT, { recursive: true });
    const built = await Bun.build({ entrypoints: [join(ROOT, "shared", "emitter.ts")], target: "node", format: "esm", external: ["ioredis"], outdir: NODE_OUT, naming: "emitter.mjs" });
    expect(built.success).toBe(true);
    writeFileSync(join(NODE_OUT, "run.mjs"), NODE_RUNNER);
    const node = Bun.which("node");
    if (!node) throw new Error("node not found on PATH: the REST emitter's Node.js check needs Node.js 20+");
    const proc = Bun.spawn([node, join(NODE_OUT, "run.mjs"), s.http, EMIT_TOKEN], { stdout: "pipe", stderr: "pipe" });
    const [code, stdout, stderr] = await Promise.all([proc.exited, new Response(proc.stdout as ReadableStream<Uint8Array>).text(), new Response(proc.stderr as ReadableStream<Uint8Array>).text()]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [first, second] = JSON.parse(stdout) as Array<{ id: string; replayed: boolean }>;
    expect(first!.replayed).toBe(false);
    expect(second).toEqual({ ...first!, replayed: true });
    expect(await delivered("node-once")).toBe(1);
  }, 30_000);
});
