/**
 * The README's quick-start client, extracted from README.md and run as written, for longer than
 * the heartbeat timeout: it must still be connected (its heartbeats keep it alive, no 4002).
 * Time is the subject: the server's timeout is short (1 s) and the snippet's clock runs 100×
 * faster (its 30 s heartbeat interval becomes 300 ms), so 3 s stand for 5 minutes.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/instances.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function snippet(marker: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf(marker);
  expect(at).toBeGreaterThan(-1);
  const start = readme.indexOf("```js", at) + "```js".length;
  return readme.slice(start, readme.indexOf("```", start));
}

async function runFor(code: string, ms: number): Promise<string> {
  const dir = mkdtempSync(join(ROOT, ".tmp-quickstart-"));
  try {
    const file = join(dir, "client.js");
    writeFileSync(file, code);
    const proc = Bun.spawn([process.execPath, file], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGTERM"), ms);
    const out = await new Response(proc.stdout).text();
    clearTimeout(timer);
    await proc.exited;
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("the README quick-start client stays connected past the heartbeat timeout", async () => {
  server = await startServer({ heartbeatTimeout: 1000, heartbeatInterval: 100 });
  const token = await server.token({ sub: "dev-user", rooms: ["lobby"] });
  const body = snippet("<!-- readme-quickstart-client -->").replace("ws://localhost:3000/ws", server.ws);
  const fastClock = "const setInterval = (fn, ms) => globalThis.setInterval(fn, ms / 100);\n";
  const out = await runFor(`const CLIENT_TOKEN = ${JSON.stringify(token)};\n${fastClock}${body}`, 3000);
  expect(out).toContain("connected");
  expect(out).not.toContain("closed 4002");
  expect(out).not.toContain("closed");
});

test("without its heartbeat the same client is closed with 4002 (the test can fail)", async () => {
  server = await startServer({ heartbeatTimeout: 1000, heartbeatInterval: 100 });
  const token = await server.token({ sub: "dev-user", rooms: ["lobby"] });
  const body = snippet("<!-- readme-quickstart-client -->").replace("ws://localhost:3000/ws", server.ws);
  const noHeartbeat = "const setInterval = () => 0;\n";
  const out = await runFor(`const CLIENT_TOKEN = ${JSON.stringify(token)};\n${noHeartbeat}${body}`, 3000);
  expect(out).toContain("closed 4002");
});
