/**
 * The client protocol over real sockets: every row of ignis §2.8 and §3 and the SPEC §3.2/§3.3
 * fixes and extensions, each observed from a real WebSocket client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ allowedRooms: ["lobby", "chat-*"], onMessage: ({ message }) => ({ echo: message.data }) });
});
afterAll(() => server.stop());

describe("handshake and authentication", () => {
  test("connected carries id, userId and an ISO time, and precedes any room traffic", async () => {
    const c = await server.client({ sub: "alice" });
    expect(c.frames[0]!.event).toBe("connected");
    expect(c.connected!.data).toMatchObject({ userId: "alice" });
    expect(typeof c.connected!.data.id).toBe("string");
    expect(Number.isNaN(Date.parse(c.connected!.data.time))).toBe(false);
    c.close();
  });

  test("an anonymous token (no sub) is accepted without userId", async () => {
    const c = await server.client({});
    expect(c.connected!.data.userId).toBeUndefined();
    c.close();
  });

  test("a bad token gets error \"Authentication failed\" then close 4003", async () => {
    const c = await TestClient.connect(server.ws);
    c.send({ event: "authenticate", data: { token: "not-a-jwt" } });
    expect((await c.next("error")).data).toEqual({ message: "Authentication failed" });
    expect(await c.waitClosed()).toEqual({ code: 4003, reason: "Authentication failed" });
  });

  test("authenticate without data is a failed authentication, not a crash", async () => {
    const c = await TestClient.connect(server.ws);
    c.send({ event: "authenticate" });
    expect((await c.waitClosed()).code).toBe(4003);
  });

  test("unauthenticated sockets receive nothing but errors (and failed acks), even for broadcasts", async () => {
    const c = await TestClient.connect(server.ws);
    c.send({ event: "chat", data: 1, id: "x" });
    await server.sb.broadcast("everyone", 1);
    await c.waitForEvent("ack");
    await c.expectNone((f) => f.event === "everyone", 100);
    expect(c.frames.map((f) => f.event)).toEqual(["error", "ack"]);
    c.close();
  });
});

describe("malformed input (ignis §2.8 with the SPEC §3.2 fixes)", () => {
  for (const [label, raw] of [["non-JSON", "{oops"], ["empty", ""], ["null", "null"], ["an array", "[1]"], ["no event", '{"data":1}']] as const) {
    test(`${label} frame → error "Invalid message format", connection kept`, async () => {
      const c = await server.client();
      c.sendRaw(raw);
      expect((await c.next("error")).data).toEqual({ message: "Invalid message format" });
      c.send({ event: "heartbeat", id: "still-open" });
      expect((await c.waitFor((f) => f.event === "heartbeat")).data.id).toBe("still-open");
      expect(c.isClosed).toBe(false);
      c.close();
    });
  }

  test("binary frames are decoded as UTF-8 JSON", async () => {
    const c = await server.client();
    c.sendRaw(new TextEncoder().encode(JSON.stringify({ event: "join", data: { rooms: ["lobby"] }, id: "b1" })));
    expect((await c.ack("b1")).data.result).toEqual({ joined: ["lobby"], denied: [] });
    c.close();
  });

  test("join with a string instead of an array → error \"Invalid rooms\"", async () => {
    const c = await server.client();
    c.send({ event: "join", data: { rooms: "lobby" } });
    expect((await c.next("error")).data).toEqual({ message: "Invalid rooms" });
    c.close();
  });

  test("a frame above MAX_PAYLOAD_BYTES is closed by the runtime with 1009 and others are unaffected", async () => {
    const small = await startServer({ maxPayloadLength: 1024 });
    try {
      const bystander = await small.client({ sub: "b" });
      const c = await small.client();
      c.sendRaw(JSON.stringify({ event: "x", data: "y".repeat(2000) }));
      expect((await c.waitClosed()).code).toBe(1009);
      await small.sb.broadcast("still-here", 1);
      await bystander.next("still-here");
    } finally {
      await small.stop();
    }
  });
});

describe("extensions (SPEC §3.3)", () => {
  test("join and leave are acknowledged with what was joined, denied and left", async () => {
    const c = await server.client();
    const joined = await c.request("join", { rooms: ["lobby", "chat-1", "secret"] });
    expect(joined).toEqual({ id: expect.any(String), ok: true, result: { joined: ["lobby", "chat-1"], denied: ["secret"] } });
    const left = await c.request("leave", { rooms: ["chat-1", "secret"] });
    expect(left.result).toEqual({ left: ["chat-1"] });
    c.close();
  });

  test("a custom event with an id is acked with what onMessage returned", async () => {
    const c = await server.client();
    expect(await c.request("echo", { n: 1 })).toMatchObject({ ok: true, result: { echo: { n: 1 } } });
    c.close();
  });

  test("heartbeat with an id is answered with the same id and the server time", async () => {
    const c = await server.client();
    c.send({ event: "heartbeat", id: "hb-1" });
    const reply = await c.waitFor((f) => f.event === "heartbeat");
    expect(reply.data.id).toBe("hb-1");
    expect(Math.abs(reply.data.time - Date.now())).toBeLessThan(5000);
    c.close();
  });

  test("the token's rooms claim allows joining rooms beyond ALLOWED_ROOMS", async () => {
    const c = await server.client({ sub: "vip", rooms: ["vip-*"] });
    expect((await c.request("join", { rooms: ["vip-lounge", "staff"] })).result).toEqual({ joined: ["vip-lounge"], denied: ["staff"] });
    c.close();
  });

  test("refresh with a new token of the same subject is accepted; another subject is refused", async () => {
    const c = await server.client({ sub: "r" });
    expect((await c.request("refresh", { token: await server.token({ sub: "r" }, "2h") })).ok).toBe(true);
    const refused = await c.request("refresh", { token: await server.token({ sub: "someone-else" }) });
    expect(refused).toMatchObject({ ok: false, error: { code: "refresh_rejected" } });
    c.close();
  });
});

describe("delivery", () => {
  test("room, user, client and broadcast targets reach exactly the right clients, with exclude", async () => {
    const a = await server.client({ sub: "ua" });
    const b = await server.client({ sub: "ub" });
    await a.request("join", { rooms: ["chat-x"] });
    await b.request("join", { rooms: ["chat-x"] });
    expect(await server.sb.toRoom("chat-x", "r", 1, { exclude: [a.id] })).toBe(1);
    expect(await server.sb.toUser("ua", "u", 2)).toBe(1);
    expect(await server.sb.toClient(b.id, "c", 3)).toBe(1);
    await server.sb.broadcast("b", 4, { exclude: [b.id] });
    await server.sb.toRoom("chat-x", "end", 0);
    await a.waitForEvent("end");
    await b.waitForEvent("end");
    const names = (c: TestClient) => c.frames.filter((f) => ["r", "u", "c", "b"].includes(f.event)).map((f) => f.event);
    expect(names(a)).toEqual(["u", "b"]);
    expect(names(b)).toEqual(["r", "c"]);
    a.close();
    b.close();
  });

  test("messages to one client arrive in the order they were sent", async () => {
    const c = await server.client();
    await c.request("join", { rooms: ["lobby"] });
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) await server.sb.toClient(c.id, "n", i);
      else if (i % 3 === 1) await server.sb.toRoom("lobby", "n", i);
      else await server.sb.broadcast("n", i);
    }
    await c.waitFor((f) => f.event === "n" && f.data === 199);
    expect(c.frames.filter((f) => f.event === "n").map((f) => f.data)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    c.close();
  });
});
