/** Authentication and timers of the session core, over a fake connection (ignis §2.5, §4, §10.8, §10.20). */
import { describe, expect, mock, test } from "bun:test";
import { fakeHub, settle } from "../helpers/fake-transport.ts";

const accept = (userId = "user-1", metadata?: unknown) => async () => ({ userId, metadata });

describe("authentication", () => {
  test("authenticate moves the client from unauthorized to authenticated with userId and metadata", async () => {
    const { hub, connect } = await fakeHub({}, { authenticate: accept("alice", { plan: "pro" }) });
    const { conn, session } = connect("c1");
    expect(session.state).toBe("unauthorized");
    session.receive(JSON.stringify({ event: "authenticate", data: { token: "t" } }));
    await settle();
    expect(session.state).toBe("authenticated");
    expect(session.record.userId).toBe("alice");
    expect(session.record.metadata).toEqual({ plan: "pro" });
    expect([...(hub["registry"].clientsOfUser("alice") ?? [])]).toEqual(["c1"]);
    const connected = conn.frames.find((f) => f.event === "connected")!;
    expect(connected.data.id).toBe("c1");
    expect(connected.data.userId).toBe("alice");
    expect(new Date(connected.data.time).toISOString()).toBe(connected.data.time);
  });

  test("after authentication the socket is subscribed to the broadcast topic and the default rooms", async () => {
    const { connect } = await fakeHub({}, { authenticate: accept() });
    const { conn, session } = connect("c1");
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect([...conn.topics].sort()).toEqual(["ws:internal:broadcast", "ws:room:ws-default", "ws:room:ws-notification"]);
    expect([...session.record.rooms]).toEqual(["c1", "ws-default", "ws-notification"]);
  });

  test("custom default rooms replace ws-default and ws-notification", async () => {
    const { connect } = await fakeHub({ defaultRooms: ["lobby"] }, { authenticate: accept() });
    const { session } = connect("c1");
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect([...session.record.rooms]).toEqual(["c1", "lobby"]);
  });

  test("the authenticate hook receives exactly the authenticate data", async () => {
    const hook = mock(async (_data: Record<string, unknown>) => ({ userId: "u" }));
    const { connect } = await fakeHub({}, { authenticate: hook });
    const { session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: { type: "Bearer", token: "abc", extra: 1 } }));
    await settle();
    expect(hook.mock.calls[0]![0]).toEqual({ type: "Bearer", token: "abc", extra: 1 });
  });

  test("onClientConnected is called with clientId, userId and metadata after connected was sent", async () => {
    const seen: unknown[] = [];
    const { connect } = await fakeHub({}, { authenticate: accept("bob"), onClientConnected: (a) => void seen.push(a) });
    const { session } = connect("c9");
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect(seen).toEqual([{ clientId: "c9", userId: "bob", metadata: undefined }]);
  });

  test("a rejecting onClientConnected hook does not undo the authentication", async () => {
    const { hub, connect } = await fakeHub({}, { authenticate: accept(), onClientConnected: async () => Promise.reject(new Error("boom")) });
    const { session } = connect("c1");
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect(session.state).toBe("authenticated");
    expect(hub["sessions"].has("c1")).toBe(true);
  });

  for (const [label, verdict] of [["null", null], ["false", false], ["undefined", undefined]] as const) {
    test(`a hook answering ${label} gets error "Authentication failed" and close 4003`, async () => {
      const { connect } = await fakeHub({}, { authenticate: async () => verdict });
      const { conn, session } = connect();
      session.receive(JSON.stringify({ event: "authenticate", data: {} }));
      await settle();
      expect(conn.frames).toEqual([{ event: "error", data: { message: "Authentication failed" } }]);
      expect(conn.closedWith).toEqual({ code: 4003, reason: "Authentication failed" });
    });
  }

  test("a throwing hook gets error \"Authentication error\" and close 4003", async () => {
    const { connect } = await fakeHub({}, { authenticate: () => { throw new Error("db down"); } });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect(conn.frames).toEqual([{ event: "error", data: { message: "Authentication error" } }]);
    expect(conn.closedWith?.code).toBe(4003);
  });

  test("a second authenticate gets \"Already authenticated\" and the connection stays open", async () => {
    const { connect } = await fakeHub({}, { authenticate: accept() });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect(conn.frames.at(-1)).toEqual({ event: "error", data: { message: "Already authenticated" } });
    expect(conn.closedWith).toBeUndefined();
  });

  test("an authenticate while the first is still in progress also gets \"Already authenticated\"", async () => {
    let release!: (v: { userId: string }) => void;
    const { connect } = await fakeHub({}, { authenticate: () => new Promise((r) => (release = r)) });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    session.receive(JSON.stringify({ event: "authenticate", data: {}, id: "a2" }));
    expect(conn.frames[0]).toEqual({ event: "error", data: { message: "Already authenticated" } });
    expect(conn.frames[1]).toMatchObject({ event: "ack", data: { id: "a2", ok: false, error: { code: "already_authenticated" } } });
    release({ userId: "u" });
    await settle();
    expect(session.state).toBe("authenticated");
  });

  test("events before authentication get exactly one \"Not authenticated\" error", async () => {
    const onMessage = mock(() => undefined);
    const { connect } = await fakeHub({}, { authenticate: accept(), onMessage });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "chat", data: {} }));
    expect(conn.frames).toEqual([{ event: "error", data: { message: "Not authenticated" } }]);
    expect(onMessage).not.toHaveBeenCalled();
  });

  test("two sessions of one user are both indexed under that user", async () => {
    const { hub, connect } = await fakeHub({}, { authenticate: accept("same") });
    for (const id of ["a", "b"]) connect(id).session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect([...(hub["registry"].clientsOfUser("same") ?? [])].sort()).toEqual(["a", "b"]);
  });

  test("a client that closes while its authentication is pending is never admitted", async () => {
    let release!: (v: { userId: string }) => void;
    const { hub, connect } = await fakeHub({}, { authenticate: () => new Promise((r) => (release = r)) });
    const { conn, session } = connect("gone");
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    conn.close(1000, "bye");
    release({ userId: "u" });
    await settle();
    expect(hub["registry"].clientsOfUser("u")).toBeUndefined();
    expect(conn.frames).toEqual([]);
  });
});

describe("timers", () => {
  test("no authenticate within authTimeout closes 4001 Authentication timeout", async () => {
    const { clock, connect } = await fakeHub({ authTimeout: 100 }, { authenticate: accept() });
    const { conn } = connect();
    clock.advance(99);
    expect(conn.closedWith).toBeUndefined();
    clock.advance(2);
    expect(conn.closedWith).toEqual({ code: 4001, reason: "Authentication timeout" });
  });

  test("an authenticate hook that never settles is cut at 3 × authTimeout with 4001", async () => {
    const { clock, connect } = await fakeHub({ authTimeout: 100 }, { authenticate: () => new Promise(() => {}) });
    const { conn, session } = connect();
    clock.advance(50);
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    clock.advance(299);
    expect(conn.closedWith).toBeUndefined();
    clock.advance(2);
    expect(conn.closedWith?.code).toBe(4001);
  });

  test("a heartbeat does not extend the authentication timer", async () => {
    const { clock, connect } = await fakeHub({ authTimeout: 100 }, { authenticate: accept() });
    const { conn, session } = connect();
    clock.advance(80);
    session.receive(JSON.stringify({ event: "heartbeat" }));
    clock.advance(30);
    expect(conn.closedWith?.code).toBe(4001);
    expect(conn.frames).toEqual([]);
  });

  test("the heartbeat sweep closes a stale authenticated client with 4002 Heartbeat timeout and sends nothing", async () => {
    const { clock, connect, publisher } = await fakeHub({ heartbeatInterval: 100, heartbeatTimeout: 250 }, { authenticate: accept() });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    const before = conn.sent.length;
    clock.advance(200);
    expect(conn.closedWith).toBeUndefined();
    clock.advance(100);
    expect(conn.closedWith).toEqual({ code: 4002, reason: "Heartbeat timeout" });
    expect(conn.sent.length).toBe(before);
    expect(publisher.published).toEqual([]);
  });

  test("an active client is not swept: any frame refreshes lastActivity", async () => {
    const { clock, connect } = await fakeHub({ heartbeatInterval: 100, heartbeatTimeout: 250 }, { authenticate: accept() });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    for (let i = 0; i < 10; i++) {
      clock.advance(100);
      session.receive(i % 2 ? "not json" : JSON.stringify({ event: "heartbeat" }));
    }
    expect(conn.closedWith).toBeUndefined();
  });

  test("the sweep skips clients that are not authenticated (their auth timer handles them)", async () => {
    const { clock, connect } = await fakeHub({ heartbeatInterval: 100, heartbeatTimeout: 150, authTimeout: 10_000 }, { authenticate: accept() });
    const { conn } = connect();
    clock.advance(1000);
    expect(conn.closedWith).toBeUndefined();
  });

  test("a token expiry closes the session with 4009 Token expired", async () => {
    const { clock, connect } = await fakeHub({}, { authenticate: async () => ({ userId: "u", expiresAt: clock.now() + 500 }) });
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    clock.advance(499);
    expect(conn.closedWith).toBeUndefined();
    clock.advance(2);
    expect(conn.closedWith).toEqual({ code: 4009, reason: "Token expired" });
  });

  test("a refresh with the same subject moves the expiry; a refused refresh keeps the old one", async () => {
    const { clock, connect } = await fakeHub(
      {},
      {
        authenticate: async () => ({ userId: "u", expiresAt: clock.now() + 500 }),
        refresh: async ({ token }) => (token === "good" ? { userId: "u", expiresAt: clock.now() + 5000 } : token === "other" ? { userId: "x" } : null),
      },
    );
    const { conn, session } = connect();
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    session.receive(JSON.stringify({ event: "refresh", data: { token: "other" }, id: "r1" }));
    await settle();
    expect(conn.frames.at(-1)).toMatchObject({ event: "ack", data: { id: "r1", ok: false, error: { code: "refresh_rejected" } } });
    session.receive(JSON.stringify({ event: "refresh", data: { token: "good" }, id: "r2" }));
    await settle();
    expect(conn.frames.at(-1)).toMatchObject({ event: "ack", data: { id: "r2", ok: true } });
    clock.advance(1000);
    expect(conn.closedWith).toBeUndefined();
    clock.advance(4500);
    expect(conn.closedWith?.code).toBe(4009);
  });
});
