/** The library API of SPEC §6: embedding in a host's Bun.serve, Ignis hook names, Bun options, accessors. */
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { createSwitchboard } from "../../server/switchboard.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";

describe("embedding", () => {
  test("a host Bun.serve with its own routes plugs in fetch + websocket; Ignis hook names work end to end", async () => {
    const disconnects: unknown[] = [];
    const sb = createSwitchboard({
      path: "/realtime",
      adminToken: "admin-token-0123456789abcdef",
      logLevel: "error",
      authenticateFn: async (data) => (data.password === "open sesame" ? { userId: String(data.user), metadata: { via: "custom" } } : null),
      validateRoomFn: async ({ rooms }) => rooms.filter((r) => r.startsWith("team-")),
      messageHandler: async ({ userId, message }) => ({ from: userId, got: message.data }),
      clientDisconnectedFn: (args) => void disconnects.push(args),
    });
    await sb.start();
    const host = new Hono();
    host.get("/hello", (c) => c.text("host route"));
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, srv) => (new URL(req.url).pathname === "/hello" ? host.fetch(req) : sb.fetch(req, srv)),
      websocket: sb.websocket,
    });
    try {
      expect(await (await fetch(`http://127.0.0.1:${server.port}/hello`)).text()).toBe("host route");
      expect((await fetch(`http://127.0.0.1:${server.port}/api/health`)).status).toBe(200);
      const c = await TestClient.connect(`ws://127.0.0.1:${server.port}/realtime`);
      c.send({ event: "authenticate", data: { user: "ann", password: "open sesame" } });
      expect((await c.waitForEvent("connected")).data.userId).toBe("ann");
      expect(sb.getClient(c.id)?.metadata).toEqual({ via: "custom" });
      expect((await c.request("join", { rooms: ["team-a", "other"] })).result).toEqual({ joined: ["team-a"], denied: ["other"] });
      expect((await c.request("ping", 7)).result).toEqual({ from: "ann", got: 7 });
      expect(await sb.toRoom("team-a", "news", 1)).toBe(1);
      await c.waitForEvent("news");
      expect(sb.getClients({ room: "team-a" }).map((x) => x.id)).toEqual([c.id]);
      expect(sb.getClients({ userId: "ann" })).toHaveLength(1);
      expect((await sb.clients({ userId: "ann" })).map((x) => x.id)).toEqual([c.id]);
      c.close(1000);
      await waitUntil(() => disconnects.length === 1);
      expect(disconnects[0]).toMatchObject({ clientId: c.id, userId: "ann", metadata: { via: "custom" }, code: 1000 });
    } finally {
      await sb.shutdown();
      server.stop(true);
    }
  });

  test("the websocket handler mirrors the seven Bun options with Ignis defaults, and overrides them when given", () => {
    const defaults = createSwitchboard({ jwtSecret: "s".repeat(32), logLevel: "error" }).websocket;
    expect(defaults).toMatchObject({ sendPings: true, idleTimeout: 60, maxPayloadLength: 131072, perMessageDeflate: false, publishToSelf: false, closeOnBackpressureLimit: false });
    expect(defaults.backpressureLimit).toBeGreaterThanOrEqual(1048576);
    const custom = createSwitchboard({ jwtSecret: "s".repeat(32), logLevel: "error", sendPings: false, idleTimeout: 30, maxPayloadLength: 4096, perMessageDeflate: true }).websocket;
    expect(custom).toMatchObject({ sendPings: false, idleTimeout: 30, maxPayloadLength: 4096, perMessageDeflate: true });
    for (const fn of ["open", "message", "close", "drain"] as const) expect(typeof defaults[fn]).toBe("function");
  });

  test("start() and shutdown() are idempotent", async () => {
    const sb = createSwitchboard({ jwtSecret: "s".repeat(32), logLevel: "error" });
    await Promise.all([sb.start(), sb.start()]);
    await sb.listen({ port: 0, host: "127.0.0.1" });
    await Promise.all([sb.shutdown(), sb.shutdown()]);
    await sb.shutdown();
  });
});

describe("runtime check", () => {
  test("loading the server library on Node.js fails with one clear error naming Bun", async () => {
    const proc = Bun.spawn(["node", "-e", "import('switchboard').then(() => process.exit(3), (e) => { console.error(e.message); process.exit(1); })"], {
      cwd: `${import.meta.dir}/../..`,
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("needs the Bun runtime");
  });
});
