/**
 * Issue 4 "done when", in a real browser: with default settings a page using the SDK offers a
 * public key, gets an encrypted session and reads every message; a capture of the page's
 * WebSocket frames shows no plaintext after `connected`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startServer, type TestServer } from "../helpers/server.ts";
import { launchChromium, TEST_TIMEOUT, UI_TIMEOUT } from "./harness.ts";

let server: TestServer;
let page: ReturnType<typeof Bun.serve>;
let browser: Browser;

beforeAll(async () => {
  server = await startServer({ allowedRooms: ["secret-room"] });
  const built = await Bun.build({ entrypoints: [join(import.meta.dir, "../../shared/client/index.ts")], target: "browser", format: "esm" });
  if (!built.success) throw new Error(`SDK bundle failed: ${built.logs.join("\n")}`);
  const sdk = await built.outputs[0]!.text();
  const token = await server.token({ sub: "browser-user" });
  const html = `<!doctype html><meta charset="utf-8"><body><ul id="log"></ul><script type="module">
    import { createClient } from "/sdk.js";
    const client = createClient({ url: ${JSON.stringify(server.ws)}, token: ${JSON.stringify(token)} });
    client.on("secret", (data) => { const li = document.createElement("li"); li.textContent = String(data.n); document.getElementById("log").append(li); });
    await client.connect();
    await client.join("secret-room");
    document.body.dataset.ready = "yes";
  </script>`;
  page = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => (new URL(req.url).pathname === "/sdk.js" ? new Response(sdk, { headers: { "content-type": "text/javascript" } }) : new Response(html, { headers: { "content-type": "text/html" } })),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  page?.stop(true);
  await server?.stop();
});

describe("encryption in the browser", () => {
  test("an SDK page gets an encrypted session by default, reads every message, and no frame after connected is plaintext", async () => {
    const tab = await (await browser.newContext()).newPage();
    const received: string[] = [];
    const sent: string[] = [];
    tab.on("websocket", (ws) => {
      ws.on("framereceived", (f) => void received.push(String(f.payload)));
      ws.on("framesent", (f) => void sent.push(String(f.payload)));
    });
    await tab.goto(`http://127.0.0.1:${page.port}/`);
    await tab.waitForSelector("body[data-ready=yes]", { state: "attached", timeout: UI_TIMEOUT });
    const [client] = server.sb.getClients({ userId: "browser-user" });
    expect(client).toMatchObject({ encrypted: true });
    for (let n = 0; n < 50; n++) await server.sb.toRoom("secret-room", "secret", { n, text: "top secret payload" });
    await server.sb.toClient(client!.id, "secret", { n: 50, text: "top secret payload" });
    await server.sb.broadcast("secret", { n: 51, text: "top secret payload" });
    await tab.waitForFunction(() => document.querySelectorAll("#log li").length === 52, undefined, { timeout: UI_TIMEOUT });
    expect(await tab.$$eval("#log li", (items) => items.map((li) => Number(li.textContent)))).toEqual(Array.from({ length: 52 }, (_, i) => i));

    const authenticate = JSON.parse(sent[0]!);
    expect(authenticate.event).toBe("authenticate");
    expect(typeof authenticate.data.publicKey).toBe("string");
    const connectedAt = received.findIndex((f) => JSON.parse(f).event === "connected");
    expect(connectedAt).toBe(0);
    expect(JSON.parse(received[0]!).data.serverPublicKey).toBeString();
    const after = received.slice(1);
    expect(after.length).toBeGreaterThanOrEqual(53);
    for (const frame of after) {
      expect(Object.keys(JSON.parse(frame))).toEqual(["event", "data"]);
      expect(JSON.parse(frame).event).toBe("encrypted");
      expect(frame).not.toContain("top secret");
      expect(frame).not.toContain("secret-room");
    }
    for (const frame of sent.slice(1)) expect(JSON.parse(frame).event).toBe("encrypted");
    await tab.close();
  }, TEST_TIMEOUT);
});
