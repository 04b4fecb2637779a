/** Local fan-out (ignis §5.6, §10.14) and the per-connection policies 4005, 4006, 4008. */
import { describe, expect, test } from "bun:test";
import { fakeHub, settle, type FakeHub } from "../helpers/fake-transport.ts";
import type { CoreOptions, Hooks } from "../../server/core/types.ts";

async function withClients(n: number, options: Partial<CoreOptions> = {}, hooks: Hooks = {}) {
  const h = await fakeHub({ allowedRooms: ["*"], ...options }, { authenticate: async (d) => ({ userId: String(d.user ?? "u") }), ...hooks });
  const clients = [];
  for (let i = 0; i < n; i++) {
    const c = h.connect(`c${i}`);
    c.session.receive(JSON.stringify({ event: "authenticate", data: { user: `user-${i % 2}` } }));
    clients.push(c);
  }
  await settle();
  for (const c of clients) c.conn.sent.length = 0;
  return { ...h, clients };
}

function received(h: { clients: Array<{ conn: { frames: Array<{ event: string }> } }> }, event: string): number[] {
  return h.clients.map((c) => c.conn.frames.filter((f) => f.event === event).length);
}

describe("fan-out", () => {
  test("a room message is published once to the room topic and reaches every member once", async () => {
    const h = await withClients(3);
    const n = await h.hub.emit({ room: "ws-default" }, "news", { a: 1 });
    expect(n).toBe(3);
    expect(h.publisher.published.map((p) => p.topic)).toEqual(["ws:room:ws-default"]);
    expect(received(h, "news")).toEqual([1, 1, 1]);
  });

  test("exclude keeps one publish and skips only the excluded member", async () => {
    const h = await withClients(3);
    const n = await h.hub.emit({ room: "ws-default", exclude: ["c1"] }, "news", {});
    expect(n).toBe(2);
    expect(h.publisher.published).toHaveLength(1);
    expect(received(h, "news")).toEqual([1, 0, 1]);
    expect(h.clients[1]!.conn.topics.has("ws:room:ws-default")).toBe(true);
  });

  test("a broadcast is one publish to the broadcast topic; exclude skips the excluded client", async () => {
    const h = await withClients(3);
    await h.hub.emit({ broadcast: true, exclude: ["c2"] }, "all", 1);
    expect(h.publisher.published.map((p) => p.topic)).toEqual(["ws:internal:broadcast"]);
    expect(received(h, "all")).toEqual([1, 1, 0]);
  });

  test("a message to several rooms reaches a client that is in two of them once", async () => {
    const h = await withClients(2);
    h.clients[0]!.session.receive(JSON.stringify({ event: "join", data: { rooms: ["a", "b"] } }));
    h.clients[1]!.session.receive(JSON.stringify({ event: "join", data: { rooms: ["b"] } }));
    await settle();
    const n = await h.hub.emit({ rooms: ["a", "b"] }, "multi", 1);
    expect(n).toBe(2);
    expect(received(h, "multi")).toEqual([1, 1]);
  });

  test("a user target reaches every session of that user and no other user", async () => {
    const h = await withClients(4);
    await h.hub.emit({ user: "user-1" }, "dm", 1);
    expect(received(h, "dm")).toEqual([0, 1, 0, 1]);
  });

  test("a client target reaches only that client; the own-id room is the same as the client", async () => {
    const h = await withClients(2);
    await h.hub.emit({ client: "c1" }, "direct", 1);
    await h.hub.emit({ room: "c0" }, "own-room", 1);
    expect(received(h, "direct")).toEqual([0, 1]);
    expect(received(h, "own-room")).toEqual([1, 0]);
  });

  test("sockets that are not authenticated receive nothing from any target", async () => {
    const h = await withClients(1);
    const pending = h.connect("pending");
    await h.hub.emit({ client: "pending" }, "x", 1);
    await h.hub.emit({ broadcast: true }, "x", 1);
    await h.hub.emit({ room: "pending" }, "x", 1);
    expect(pending.conn.frames).toEqual([]);
  });

  test("sending to an empty room or broadcasting with no clients is harmless and reports 0", async () => {
    const h = await fakeHub();
    expect(await h.hub.emit({ room: "nobody" }, "x", 1)).toBe(0);
    expect(await h.hub.emit({ broadcast: true }, "x", 1)).toBe(0);
  });

  test("100 clients of 10 users are indexed 10 × 10", async () => {
    const h = await fakeHub({}, { authenticate: async (d) => ({ userId: `user-${d.n}` }) });
    for (let i = 0; i < 100; i++) h.connect(`m${i}`).session.receive(JSON.stringify({ event: "authenticate", data: { n: i % 10 } }));
    await settle();
    expect(h.hub.counts().authenticated).toBe(100);
    for (let u = 0; u < 10; u++) expect(h.hub["registry"].clientsOfUser(`user-${u}`)?.size).toBe(10);
  });
});

describe("policies", () => {
  test("flooding past RATE_LIMIT_PER_S gets a warning error, then close 4005 Rate limit exceeded", async () => {
    const h = await withClients(1, { rateLimitPerSecond: 10 });
    const { conn, session } = h.clients[0]!;
    // The burst is 2 × 10 frames; the authenticate frame used one of them.
    for (let i = 0; i < 19; i++) session.receive(JSON.stringify({ event: "heartbeat" }));
    expect(conn.frames).toEqual([]);
    session.receive(JSON.stringify({ event: "heartbeat" }));
    expect(conn.frames).toEqual([{ event: "error", data: { message: "Rate limit exceeded" } }]);
    for (let i = 0; i < 10; i++) session.receive(JSON.stringify({ event: "heartbeat" }));
    expect(conn.closedWith).toEqual({ code: 4005, reason: "Rate limit exceeded" });
  });

  test("a client that stays within its rate is never limited", async () => {
    const h = await withClients(1, { rateLimitPerSecond: 10 });
    const { conn, session } = h.clients[0]!;
    for (let i = 0; i < 100; i++) {
      h.clock.advance(100);
      session.receive(JSON.stringify({ event: "heartbeat" }));
    }
    expect(conn.closedWith).toBeUndefined();
    expect(conn.frames).toEqual([]);
  });

  test("a send buffer above the limit past the grace period closes 4006 Slow consumer", async () => {
    const h = await withClients(2, { backpressureLimit: 1000, slowConsumerGraceMs: 3000 });
    const [slow, fast] = h.clients;
    slow!.conn.buffered = 5000;
    h.clock.advance(2000);
    expect(slow!.conn.closedWith).toBeUndefined();
    h.clock.advance(2000);
    expect(slow!.conn.closedWith).toEqual({ code: 4006, reason: "Slow consumer" });
    expect(fast!.conn.closedWith).toBeUndefined();
  });

  test("a buffer that drains within the grace period is forgiven", async () => {
    const h = await withClients(1, { backpressureLimit: 1000, slowConsumerGraceMs: 3000 });
    const c = h.clients[0]!;
    c.conn.buffered = 5000;
    h.clock.advance(2000);
    c.conn.buffered = 0;
    h.clock.advance(1000);
    c.conn.buffered = 5000;
    await h.hub.emit({ broadcast: true }, "more", 1); // buffers only grow when something is sent
    h.clock.advance(2000);
    expect(c.conn.closedWith).toBeUndefined();
    h.clock.advance(1500);
    expect(c.conn.closedWith?.code).toBe(4006);
  });

  test("buffers are read lazily: no pass without outbound traffic, known slow sockets every tick", async () => {
    const h = await withClients(3, { backpressureLimit: 1000, slowConsumerGraceMs: 3000 });
    const reads = h.clients.map((c) => {
      let n = 0;
      const original = c.conn.bufferedAmount.bind(c.conn);
      c.conn.bufferedAmount = () => (n++, original());
      return () => n;
    });
    h.clock.advance(1000);
    const afterFirstPass = reads.map((r) => r());
    h.clock.advance(1000);
    expect(reads.map((r) => r())).toEqual(afterFirstPass);
    h.clients[0]!.conn.buffered = 5000;
    await h.hub.emit({ broadcast: true }, "x", 1);
    h.clock.advance(250);
    expect(h.hub.slowConsumers.slowSince(h.clients[0]!.session)).toBeGreaterThan(0);
    h.clock.advance(1000);
    expect(reads[0]!() - afterFirstPass[0]!).toBeGreaterThanOrEqual(4);
    expect(reads[1]!() - afterFirstPass[1]!).toBe(1);
  });

  test("MAX_CONNECTIONS_PER_USER refuses the extra session with error and close 4008", async () => {
    const h = await fakeHub({ maxConnectionsPerUser: 2 }, { authenticate: async () => ({ userId: "same" }) });
    const sessions = ["a", "b", "c"].map((id) => h.connect(id));
    for (const s of sessions) s.session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    const third = sessions[2]!;
    expect(third.conn.frames).toEqual([{ event: "error", data: { message: "Too many connections" } }]);
    expect(third.conn.closedWith).toEqual({ code: 4008, reason: "Too many connections" });
    expect(sessions[0]!.conn.closedWith).toBeUndefined();
  });
});

export type { FakeHub };
