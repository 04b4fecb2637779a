/**
 * The SDK on Node.js through the package exports (`switchboard/client` → dist build): it
 * connects to a real server, gets an encrypted session and receives a room message.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { startServer, type TestServer } from "../helpers/server.ts";
import { waitFor } from "./helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const node = Bun.which("node");
let server: TestServer;

beforeAll(async () => {
  const build = Bun.spawn([process.execPath, join(ROOT, "scripts", "build-client.ts")], { stdout: "pipe", stderr: "pipe" });
  if ((await build.exited) !== 0) throw new Error(`build:client failed: ${await new Response(build.stderr).text()}`);
  server = await startServer({ allowedRooms: ["node-*"] });
}, 60_000);
afterAll(() => server?.stop());

test.skipIf(!node)("the built SDK runs on Node.js: joins a room and receives a message over an encrypted session", async () => {
  const proc = Bun.spawn([node!, "--experimental-websocket", join(ROOT, "test", "fixtures", "node-sdk-client.mjs"), server.ws, await server.token({ sub: "node-user" }), "node-room"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) lines.push(...decoder.decode(r.value).split("\n").filter(Boolean));
  })();
  try {
    const joined = JSON.parse(await waitFor(() => lines.find((l) => l.includes('"joined"')), 10_000, "join from the Node client"));
    expect(joined.joined).toEqual(["node-room"]);
    expect(server.sb.getClient(joined.id)?.encrypted).toBe(true);
    await server.sb.toRoom("node-room", "news", { from: "bun" });
    const got = JSON.parse(await waitFor(() => lines.find((l) => l.includes('"news"')), 5000, "room message in Node"));
    expect(got).toEqual({ news: { from: "bun" }, encrypted: true });
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill();
  }
}, 20_000);
