/**
 * `verifyWebhook` (the `switchboard/webhooks` export, also on Node.js), the server's signature,
 * the bounded memory queue and the start-up refusals of the WEBHOOK_* settings.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { signatureHeader } from "../../server/webhooks/delivery.ts";
import { MemoryQueue } from "../../server/webhooks/memory-queue.ts";
import { Receiver } from "../../server/webhooks/receiver.ts";
import { signWebhook, verifyWebhook } from "../../shared/webhooks.ts";
import { freePort } from "../helpers/redis.ts";

const SECRET = "webhook-secret-0123456789";
const BODY = JSON.stringify({ id: "b1", time: "2026-01-01T00:00:00.000Z", events: [{ name: "room.occupied", time: "2026-01-01T00:00:00.000Z", room: "ü-lobby" }] });
const ROOT = join(import.meta.dir, "..", "..");
const now = () => Math.floor(Date.now() / 1000);

describe("verifyWebhook", () => {
  test("accepts the body as a string, a Uint8Array or an ArrayBuffer, with Headers or a plain record in any case", async () => {
    const header = await signWebhook(SECRET, BODY);
    const bytes = new TextEncoder().encode(BODY);
    expect(await verifyWebhook(SECRET, new Headers({ "Switchboard-Signature": header }), BODY)).toBe(true);
    expect(await verifyWebhook(SECRET, { "switchboard-signature": header }, bytes)).toBe(true);
    expect(await verifyWebhook(SECRET, { "SWITCHBOARD-SIGNATURE": [header] }, bytes.slice().buffer)).toBe(true);
  });

  test("the server's signature (node:crypto) is what verifyWebhook (WebCrypto) expects", async () => {
    const t = now();
    expect(signatureHeader(SECRET, BODY, t)).toBe(await signWebhook(SECRET, BODY, t));
    expect(await verifyWebhook(SECRET, { "switchboard-signature": signatureHeader(SECRET, BODY, t) }, BODY)).toBe(true);
  });

  test("refuses a replay with an old t and a t from the future, outside the tolerance", async () => {
    expect(await verifyWebhook(SECRET, { "switchboard-signature": await signWebhook(SECRET, BODY, now() - 301) }, BODY)).toBe(false);
    expect(await verifyWebhook(SECRET, { "switchboard-signature": await signWebhook(SECRET, BODY, now() + 301) }, BODY)).toBe(false);
    expect(await verifyWebhook(SECRET, { "switchboard-signature": await signWebhook(SECRET, BODY, now() - 290) }, BODY)).toBe(true);
    expect(await verifyWebhook(SECRET, { "switchboard-signature": await signWebhook(SECRET, BODY, now() - 20) }, BODY, 10)).toBe(false);
  });

  test("refuses a forged signature, a wrong secret, a changed body, a changed t and malformed headers", async () => {
    const header = await signWebhook(SECRET, BODY);
    const [t, v1] = header.split(",");
    const flipped = v1!.slice(0, -1) + (v1!.endsWith("0") ? "1" : "0");
    expect(await verifyWebhook(SECRET, { "switchboard-signature": `${t},${flipped}` }, BODY)).toBe(false);
    expect(await verifyWebhook("another-secret-0123456789", { "switchboard-signature": header }, BODY)).toBe(false);
    expect(await verifyWebhook(SECRET, { "switchboard-signature": header }, BODY.replace("lobby", "l0bby"))).toBe(false);
    expect(await verifyWebhook(SECRET, { "switchboard-signature": `t=${Number(t!.slice(2)) - 1},${v1}` }, BODY)).toBe(false);
    for (const bad of [undefined, "", "v1=abc", `${t}`, `t=abc,${v1}`, `${t},v1=zz`, `${t},v1=${"0".repeat(62)}`]) {
      expect(await verifyWebhook(SECRET, bad === undefined ? {} : { "switchboard-signature": bad }, BODY)).toBe(false);
    }
  });

  test.skipIf(!Bun.which("node"))("imports as switchboard/webhooks on Node.js (the dist build) and verifies there", async () => {
    // The same bundle `npm run build:client` makes (dist/webhooks/index.js), without the rest of that build.
    const built = await Bun.build({ entrypoints: [join(ROOT, "shared", "webhooks.ts")], outdir: join(ROOT, "dist", "webhooks"), naming: "index.js", target: "node", format: "esm" });
    expect(built.success).toBe(true);
    const proc = Bun.spawn([Bun.which("node")!, join(ROOT, "test", "fixtures", "node-verify-webhook.mjs"), SECRET, BODY], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = [await new Response(proc.stdout).text(), await new Response(proc.stderr).text(), await proc.exited];
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ good: true, forged: false });
  });
});

describe("the memory queue", () => {
  test("a full queue drops its oldest waiting batches, counts them as failed and logs it", async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const log = { debug() {}, info() {}, error() {}, warn: (o: Record<string, unknown>) => warnings.push(o) };
    const receiver = new Receiver(`http://127.0.0.1:${await freePort()}/down`);
    const queue = new MemoryQueue([receiver], { secret: SECRET, timeoutMs: 200, retryWindowMs: 60_000 }, log, 3);
    queue.start();
    for (let i = 0; i < 10; i++) queue.enqueue({ id: `b${i}`, body: BODY, createdAt: Date.now() });
    const [status] = await queue.status();
    expect(status).toMatchObject({ failed: 7, pending: 3, delivered: 0 });
    expect(receiver.counters.overflowed).toBe(7);
    expect(warnings[0]).toMatchObject({ receiver: receiver.shownUrl, dropped: 1 });
    await queue.stop(0);
  });
});

describe("start-up refusals", () => {
  const start = async (env: Record<string, string>) => {
    const proc = Bun.spawn([process.execPath, join(ROOT, "server", "cli.ts"), "start"], {
      cwd: ROOT, stdout: "pipe", stderr: "pipe",
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: "s".repeat(32), ADMIN_TOKEN: "a".repeat(32), ...env },
    });
    const text = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
    return { code: await proc.exited, text: text.trim() };
  };

  test("a non-http(s) URL in WEBHOOK_URLS, or URLs without a 16-character WEBHOOK_SECRET, exit 2 with one line naming the variable", async () => {
    const badUrl = await start({ WEBHOOK_URLS: "ftp://hooks.example/in", WEBHOOK_SECRET: SECRET });
    expect(badUrl.code).toBe(2);
    expect(badUrl.text).toMatch(/^Invalid configuration: WEBHOOK_URLS="ftp:\/\/hooks.example\/in": expected [^\n]+$/);
    const short = await start({ WEBHOOK_URLS: "https://hooks.example/in", WEBHOOK_SECRET: "short" });
    expect(short.code).toBe(2);
    expect(short.text).toMatch(/^Invalid configuration: WEBHOOK_SECRET=<hidden, 5 characters>: expected [^\n]+$/);
    const missing = await start({ WEBHOOK_URLS: "https://hooks.example/in" });
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/^Invalid configuration: WEBHOOK_SECRET is not set[^\n]+$/);
  });
});
