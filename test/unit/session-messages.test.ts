/** Inbound validation, rooms, custom events and disconnect cleanup (ignis §2.3, §2.8, §5, §10.11-10.13; SPEC §3.2-3.3). */
import { describe, expect, mock, test } from "bun:test";
import { fakeHub, settle } from "../helpers/fake-transport.ts";
import type { Hooks, CoreOptions } from "../../server/core/types.ts";

async function authed(options: Partial<CoreOptions> = {}, hooks: Hooks = {}, id = "c1") {
  const h = await fakeHub(options, { authenticate: async () => ({ userId: "u1" }), ...hooks });
  const { conn, session } = h.connect(id);
  session.receive(JSON.stringify({ event: "authenticate", data: {} }));
  await settle();
  conn.sent.length = 0;
  return { ...h, conn, session };
}

describe("inbound validation", () => {
  const invalid: Array<[string, string]> = [
    ["non-JSON text", "hello"],
    ["an empty frame", ""],
    ["JSON null", "null"],
    ["a JSON number", "123"],
    ["a JSON array", "[]"],
    ["an object without event", JSON.stringify({ data: 1 })],
    ["an empty event", JSON.stringify({ event: "" })],
    ["a non-string event", JSON.stringify({ event: 7 })],
  ];
  for (const [label, raw] of invalid) {
    test(`${label} gets error "Invalid message format" and the connection stays open`, async () => {
      const { conn, session } = await authed();
      session.receive(raw);
      expect(conn.frames).toEqual([{ event: "error", data: { message: "Invalid message format" } }]);
      expect(conn.closedWith).toBeUndefined();
    });
  }

  test("a binary frame is decoded as UTF-8 and handled like text", async () => {
    const onMessage = mock(() => undefined);
    const { session } = await authed({}, { onMessage });
    session.receive(new TextEncoder().encode(JSON.stringify({ event: "chat", data: "é" })));
    await settle();
    expect((onMessage.mock.calls as unknown[][])[0]![0]).toMatchObject({ message: { event: "chat", data: "é" } });
  });

  for (const [label, data] of [["a string", { rooms: "lobby" }], ["a number list", { rooms: [1] }], ["missing", {}], ["null data", null]] as const) {
    test(`join with rooms ${label} gets error "Invalid rooms"`, async () => {
      const { conn, session } = await authed({ allowedRooms: ["*"] });
      session.receive(JSON.stringify({ event: "join", data }));
      await settle();
      expect(conn.frames).toEqual([{ event: "error", data: { message: "Invalid rooms" } }]);
    });
  }

  test("leave with rooms that are not an array of strings gets error \"Invalid rooms\" with a failed ack", async () => {
    const { conn, session } = await authed();
    session.receive(JSON.stringify({ event: "leave", data: { rooms: "x" }, id: "l1" }));
    expect(conn.frames).toEqual([
      { event: "error", data: { message: "Invalid rooms" } },
      { event: "ack", data: { id: "l1", ok: false, error: { code: "invalid_rooms", message: "Invalid rooms" } } },
    ]);
  });

  test("heartbeat without id changes nothing and is not answered; with an id it is answered with the server time", async () => {
    const { conn, session, clock } = await authed();
    session.receive(JSON.stringify({ event: "heartbeat" }));
    expect(conn.frames).toEqual([]);
    session.receive(JSON.stringify({ event: "heartbeat", id: "h1" }));
    expect(conn.frames).toEqual([{ event: "heartbeat", data: { id: "h1", time: clock.now() } }]);
  });

  test("a heartbeat before authentication is never answered", async () => {
    const { connect } = await fakeHub({}, {});
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "heartbeat", id: "h1" }));
    session.receive(JSON.stringify({ event: "heartbeat" }));
    expect(conn.frames).toEqual([]);
  });

  test("an unauthenticated frame with an id gets the error and a failed ack, nothing else", async () => {
    const { connect } = await fakeHub({}, {});
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["a"] }, id: "j1" }));
    expect(conn.events()).toEqual(["error", "ack"]);
    expect(conn.frames[1]!.data).toMatchObject({ id: "j1", ok: false, error: { code: "not_authenticated" } });
  });
});

describe("rooms", () => {
  test("join goes through the validateRooms hook with the sanitised list and joins what it returns", async () => {
    const validateRooms = mock(async ({ rooms }: { rooms: string[] }) => rooms);
    const { session, conn } = await authed({}, { validateRooms });
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["game", "chat", "ws:evil", ""] }, id: "j" }));
    await settle();
    expect((validateRooms.mock.calls as unknown[][])[0]![0]).toEqual({ clientId: "c1", userId: "u1", rooms: ["game", "chat"] });
    expect(conn.frames.at(-1)!.data).toEqual({ id: "j", ok: true, result: { joined: ["game", "chat"], denied: ["ws:evil", ""] } });
    expect(conn.topics.has("ws:room:game")).toBe(true);
  });

  test("rooms a validateRooms hook returns but the client did not ask for are not joined", async () => {
    const { session } = await authed({}, { validateRooms: async () => ["asked", "sneaky", "ws:internal:broadcast"] });
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["asked"] } }));
    await settle();
    expect([...session.record.rooms]).toContain("asked");
    expect([...session.record.rooms]).not.toContain("sneaky");
  });

  test("without a hook and without ALLOWED_ROOMS or a rooms claim, every join is denied", async () => {
    const { session, conn } = await authed();
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["lobby"] }, id: "j" }));
    await settle();
    expect(conn.frames.at(-1)!.data.result).toEqual({ joined: [], denied: ["lobby"] });
  });

  test("ALLOWED_ROOMS patterns admit wildcards and the {userId} placeholder", async () => {
    const { session, conn } = await authed({ allowedRooms: ["public-*", "user-{userId}"] });
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["public-1", "user-u1", "user-u2", "private"] }, id: "j" }));
    await settle();
    expect(conn.frames.at(-1)!.data.result).toEqual({ joined: ["public-1", "user-u1"], denied: ["user-u2", "private"] });
  });

  test("a rejecting validateRooms hook joins nothing and does not throw", async () => {
    const { session } = await authed({}, { validateRooms: async () => Promise.reject(new Error("x")) });
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["a"] } }));
    await settle();
    expect(session.record.rooms.has("a")).toBe(false);
  });

  test("room names over 256 characters, with control characters or naming another client are refused", async () => {
    const { hub, session, conn } = await authed({ allowedRooms: ["*"] });
    hub.open(new (await import("../helpers/fake-transport.ts")).FakeConnection(), "other-client");
    const long = "x".repeat(257);
    session.receive(JSON.stringify({ event: "join", data: { rooms: [long, "bad\u0001name", "other-client", "x".repeat(256)] }, id: "j" }));
    await settle();
    expect(conn.frames.at(-1)!.data.result).toEqual({ joined: ["x".repeat(256)], denied: [long, "bad\u0001name", "other-client"] });
  });

  test("leave removes membership and unsubscribes; the own-id room cannot be left, default rooms can", async () => {
    const { session, conn } = await authed();
    session.receive(JSON.stringify({ event: "leave", data: { rooms: ["c1", "ws-default", "never-joined"] }, id: "l" }));
    expect(conn.frames.at(-1)!.data.result).toEqual({ left: ["ws-default"] });
    expect(conn.topics.has("ws:room:ws-default")).toBe(false);
    expect(session.record.rooms.has("c1")).toBe(true);
  });

  test("joining 50 rooms and leaving them returns the client to its 3 initial rooms", async () => {
    const { session, hub } = await authed({ allowedRooms: ["r-*"] });
    const rooms = Array.from({ length: 50 }, (_, i) => `r-${i}`);
    session.receive(JSON.stringify({ event: "join", data: { rooms } }));
    await settle();
    expect(session.record.rooms.size).toBe(53);
    session.receive(JSON.stringify({ event: "leave", data: { rooms } }));
    expect(session.record.rooms.size).toBe(3);
    expect(hub["registry"].membersOf("r-1")).toBeUndefined();
  });
});

describe("custom events", () => {
  test("a custom event reaches onMessage with the whole message, and its result is acked", async () => {
    const onMessage = mock(async () => ({ stored: true }));
    const { session, conn } = await authed({}, { onMessage });
    session.receive(JSON.stringify({ event: "chat", data: null, id: "m1", extra: 1 }));
    await settle();
    expect((onMessage.mock.calls as unknown[][])[0]![0]).toEqual({ clientId: "c1", userId: "u1", message: { event: "chat", data: null, id: "m1", extra: 1 } });
    expect(conn.frames).toEqual([{ event: "ack", data: { id: "m1", ok: true, result: { stored: true } } }]);
  });

  test("reserved names sent by a client (connected, error, disconnect) are custom events", async () => {
    const onMessage = mock(() => undefined);
    const { session } = await authed({}, { onMessage });
    for (const event of ["connected", "error", "disconnect"]) session.receive(JSON.stringify({ event }));
    await settle();
    expect(onMessage).toHaveBeenCalledTimes(3);
  });

  test("a rejecting onMessage hook acks ok:false handler_error and throws nothing", async () => {
    const { session, conn } = await authed({}, { onMessage: async () => Promise.reject(new Error("nope")) });
    session.receive(JSON.stringify({ event: "chat", id: "m" }));
    await settle();
    expect(conn.frames).toEqual([{ event: "ack", data: { id: "m", ok: false, error: { code: "handler_error", message: "nope" } } }]);
  });

  test("without onMessage, a custom event with an id acks no_handler; without an id it is dropped silently", async () => {
    const { session, conn } = await authed();
    session.receive(JSON.stringify({ event: "chat" }));
    session.receive(JSON.stringify({ event: "chat", id: "m" }));
    expect(conn.frames).toEqual([{ event: "ack", data: { id: "m", ok: false, error: { code: "no_handler", message: 'no handler for event "chat"' } } }]);
  });
});

describe("disconnect", () => {
  test("a close removes the client from clients, user and room indexes and reports code and reason", async () => {
    const seen: unknown[] = [];
    const { hub, session, conn } = await authed({}, { onClientDisconnected: (a) => void seen.push({ ...a, state: session.record.state }) });
    conn.close(1000, "bye");
    await settle();
    expect(hub.counts().connections).toBe(0);
    expect(hub["registry"].clientsOfUser("u1")).toBeUndefined();
    expect(hub["registry"].membersOf("ws-default")).toBeUndefined();
    expect(seen).toEqual([{ clientId: "c1", userId: "u1", metadata: undefined, code: 1000, reason: "bye", state: "disconnected" }]);
  });

  test("other sessions of the same user stay indexed", async () => {
    const h = await fakeHub({}, { authenticate: async () => ({ userId: "same" }) });
    const a = h.connect("a");
    const b = h.connect("b");
    for (const s of [a, b]) s.session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    a.conn.close(1000, "");
    expect([...(h.hub["registry"].clientsOfUser("same") ?? [])]).toEqual(["b"]);
  });

  test("50 rapid connect/disconnect cycles leave no client behind", async () => {
    const h = await fakeHub({}, { authenticate: async () => ({ userId: "u" }) });
    for (let i = 0; i < 50; i++) {
      const { conn, session } = h.connect(`rapid-${i}`);
      if (i % 2) session.receive(JSON.stringify({ event: "authenticate", data: {} }));
      await settle(1);
      conn.close(1000, "");
    }
    expect(h.hub.counts().connections).toBe(0);
    expect(h.hub["registry"].size).toBe(0);
    expect(h.hub.counts().authenticated).toBe(0);
  });

  test("shutdown closes every socket with 1001, runs each disconnect hook once and is idempotent", async () => {
    const onClientDisconnected = mock(() => undefined);
    const h = await fakeHub({}, { authenticate: async () => ({ userId: "u" }), onClientDisconnected });
    const a = h.connect("a");
    const b = h.connect("b");
    a.session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    await Promise.all([h.hub.shutdown(), h.hub.shutdown()]);
    await settle();
    expect(a.conn.closedWith).toEqual({ code: 1001, reason: "Server shutting down" });
    expect(b.conn.closedWith).toEqual({ code: 1001, reason: "Server shutting down" });
    expect(onClientDisconnected).toHaveBeenCalledTimes(2);
    expect(h.hub.counts().connections).toBe(0);
  });
});
