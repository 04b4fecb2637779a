/**
 * Reconnection against real servers: a restart on the same port, fail-over between two
 * instances on one broker, close codes that forbid a blind retry, and a dead server noticed by
 * unanswered heartbeats. Rooms come back without user code.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { MemoryBroker, MemoryBus } from "../../server/broker/memory.ts";
import { deferCleanup, Recorder, runCleanup, sdkClient, sdkServer, staysFalse, waitFor } from "./helpers.ts";

const FAST = { minDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0.5 };
afterEach(runCleanup);
const server = sdkServer;
const client = sdkClient;

describe("SDK reconnect", () => {
  test("after a server restart on the same port it reconnects, re-joins its rooms and receives room messages again", async () => {
    const first = await server();
    const port = first.port;
    const c = client({ url: first.ws, token: () => first.token({ sub: "bob" }), reconnect: FAST });
    const rec = new Recorder(c);
    const { id: firstId } = await c.connect();
    await c.join("room-1");
    await first.stop();
    await rec.waitForState("reconnecting");
    expect(rec.closes[0]).toMatchObject({ code: 1001, willReconnect: true });

    const second = await server({ port });
    await rec.waitForState("connected", 2, 5000);
    expect(c.id).not.toBe(firstId);
    expect(await rec.waitForRejoin()).toEqual({ joined: ["room-1"], denied: [] });
    expect(second.sb.getClient(c.id!)?.rooms).toContain("room-1");
    await second.sb.toRoom("room-1", "news", { n: 2 });
    const frame = await rec.waitForFrame("news");
    expect(frame.data).toEqual({ n: 2 });
  }, 15_000);

  test("given two instance URLs it moves to the surviving instance when its own shuts down", async () => {
    const bus = new MemoryBus();
    const a = await server({ broker: new MemoryBroker(bus) });
    const b = await server({ broker: new MemoryBroker(bus) });
    const c = client({ url: [a.ws, b.ws], token: () => a.token({ sub: "carol" }), reconnect: FAST });
    const rec = new Recorder(c);
    await c.connect();
    await c.join("room-x");
    expect(a.sb.getClient(c.id!)).toBeDefined();

    await a.stop();
    await rec.waitForState("connected", 2, 5000);
    expect(c.url).toBe(b.ws);
    await rec.waitForRejoin();
    expect(b.sb.getClient(c.id!)?.rooms).toContain("room-x");
    await b.sb.toRoom("room-x", "after-failover", { ok: true });
    expect((await rec.waitForFrame("after-failover")).data).toEqual({ ok: true });
  });

  test("a rejected token (4003) is not retried", async () => {
    const s = await server();
    const c = client({ url: s.ws, token: "not-a-jwt", reconnect: { minDelayMs: 5, maxDelayMs: 10 } });
    const rec = new Recorder(c);
    await expect(c.connect()).rejects.toMatchObject({ code: "closed" });
    expect(c.state).toBe("closed");
    expect(rec.closes).toEqual([expect.objectContaining({ code: 4003, willReconnect: false })]);
    expect(rec.events("error")[0]?.data).toEqual({ message: "Authentication failed" });
    await staysFalse(() => rec.count("connecting") > 1, 300, "a retry after 4003");
  });

  test("a token function whose fresh token is rejected (4003) is asked once, not in a loop", async () => {
    const s = await server();
    let calls = 0;
    const c = client({ url: s.ws, token: async () => (calls++, "still-not-a-jwt"), reconnect: { minDelayMs: 5, maxDelayMs: 10 } });
    await expect(c.connect()).rejects.toMatchObject({ code: "closed" });
    await staysFalse(() => calls > 1, 300, "another token fetch");
  });

  test("too many connections (4008) is not retried", async () => {
    const s = await server({ maxConnectionsPerUser: 1 });
    const first = client({ url: s.ws, token: () => s.token({ sub: "dave" }), reconnect: FAST });
    await first.connect();
    const second = client({ url: s.ws, token: () => s.token({ sub: "dave" }), reconnect: FAST });
    const rec = new Recorder(second);
    await expect(second.connect()).rejects.toMatchObject({ code: "closed" });
    expect(rec.closes.at(-1)).toMatchObject({ code: 4008, willReconnect: false });
    await staysFalse(() => rec.count("connecting") > 1, 300, "a retry after 4008");
  });

  test("a kick by an operator (4007) reconnects", async () => {
    const s = await server();
    const c = client({ url: s.ws, token: () => s.token(), reconnect: FAST });
    const rec = new Recorder(c);
    const { id } = await c.connect();
    s.sb.disconnect(id);
    await rec.waitForState("connected", 2);
    expect(rec.closes[0]).toMatchObject({ code: 4007, willReconnect: true });
  });

  test("a server that stops answering heartbeats is treated as dead and the client reconnects", async () => {
    let answer = true;
    let connections = 0;
    const fake = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, srv) => (srv.upgrade(req) ? undefined : new Response("no", { status: 400 })),
      websocket: {
        open: () => void (connections += 1),
        message: (ws, raw) => {
          const frame = JSON.parse(String(raw));
          if (frame.event === "authenticate") ws.send(JSON.stringify({ event: "connected", data: { id: `c${connections}`, time: new Date().toISOString() } }));
          if (frame.event === "heartbeat" && answer) ws.send(JSON.stringify({ event: "heartbeat", data: { id: frame.id, time: Date.now() } }));
        },
      },
    });
    deferCleanup(() => fake.stop(true));
    const c = client({ url: `ws://127.0.0.1:${fake.port}/ws`, token: "t", encryption: "off", heartbeatMs: 50, heartbeatTimeoutMs: 150, reconnect: FAST });
    const rec = new Recorder(c);
    await c.connect();
    await waitFor(() => c.rtt !== undefined, 2000, "first rtt");
    answer = false;
    await rec.waitForState("reconnecting", 1, 3000);
    expect(rec.closes[0]).toMatchObject({ code: 4002, willReconnect: true });
    answer = true;
    await rec.waitForState("connected", 2, 3000);
    expect(c.id).toMatch(/^c[2-9]/); // a new connection
  });
});
