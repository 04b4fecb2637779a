/**
 * Smoke test of examples/browser-chat, started as its README says: the page, its script and the
 * SDK bundle are served, and two clients built from that very bundle do what the page does
 * (token from /token, join the lobby, `chat:send` with an ack, `chat:message` to everyone).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../sdk/helpers.ts";
import { startExample, type RunningExample } from "./helpers.ts";

let chat: RunningExample;
let http: string;
let dir: string;

beforeAll(async () => {
  chat = await startExample("examples/browser-chat/server.ts", { PORT: "0" });
  http = chat.ready.http!;
  dir = await mkdtemp(join(tmpdir(), "sb-chat-"));
});
afterAll(async () => {
  await chat?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("the page, its script and the SDK bundle are served", async () => {
  const page = await fetch(`${http}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<script type="module" src="/chat.js"></script>');
  const script = await (await fetch(`${http}/chat.js`)).text();
  expect(script).toContain('from "/switchboard-client.js"');
  const bundle = await fetch(`${http}/switchboard-client.js`);
  expect(bundle.headers.get("content-type")).toContain("javascript");
  expect(await bundle.text()).toContain("createClient");
});

test("two clients built from the served bundle chat through the lobby like the page does", async () => {
  const file = join(dir, "switchboard-client.js");
  await writeFile(file, await (await fetch(`${http}/switchboard-client.js`)).text());
  const { createClient } = (await import(file)) as typeof import("../../shared/client/index.ts");
  const ws = `${http.replace("http", "ws")}/ws`;
  const token = (name: string) => async () => ((await (await fetch(`${http}/token?name=${name}`)).json()) as { token: string }).token;
  const ann = createClient({ url: ws, token: token("ann") });
  const ben = createClient({ url: ws, token: token("ben") });
  try {
    const heard: Array<{ from: string; text: string }> = [];
    ben.on("chat:message", (m) => heard.push(m as { from: string; text: string }));
    await Promise.all([ann.join("chat-lobby"), ben.join("chat-lobby")]);
    expect(ann.encrypted).toBe(true);
    expect(await ann.request("chat:send", { text: "hello ben" })).toEqual({ delivered: true });
    await waitFor(() => heard.length === 1, 5000, "ben hears ann");
    expect(heard[0]).toMatchObject({ from: "ann", text: "hello ben" });
    await expect(ann.request("chat:send", { text: "  " })).rejects.toMatchObject({ code: "handler_error" });
  } finally {
    ann.close();
    ben.close();
  }
});

test("the demo token route refuses names it cannot use", async () => {
  expect((await fetch(`${http}/token?name=${encodeURIComponent("<script>")}`)).status).toBe(400);
});
