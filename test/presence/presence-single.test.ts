/**
 * Presence rooms (SPEC §12) on one instance, through real sockets and raw protocol frames:
 * join/leave events once per member, multi-tab users, the leave grace, the `presence` request,
 * the REST roster with pagination, overflow, and the bad inputs of the issue.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import type { Frame, TestClient } from "../helpers/ws-client.ts";

let server: TestServer | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  server = undefined;
});

async function start(extra: Record<string, unknown> = {}): Promise<TestServer> {
  server = await startServer({ presenceRooms: ["team-*"], allowedRooms: ["team-*", "plain"], presenceLeaveGraceMs: 300, defaultRooms: [], ...extra });
  return server;
}

async function member(s: TestServer, sub: string | undefined, room = "team-a", info?: unknown): Promise<TestClient> {
  const claims: Record<string, unknown> = {};
  if (sub !== undefined) claims.sub = sub;
  if (info !== undefined) claims.info = info;
  const c = await s.client(claims);
  clients.push(c);
  const ack = await c.request("join", { rooms: [room] });
  expect(ack.result.joined).toEqual([room]);
  return c;
}

const presenceFrames = (c: TestClient, event: string) => c.frames.filter((f: Frame) => f.event === event);

describe("presence on one instance", () => {
  test("a new member is announced once to the others with its info, and not to itself", async () => {
    const s = await start();
    const alice = await member(s, "alice", "team-a", { name: "Alice" });
    const bob = await member(s, "bob", "team-a", { name: "Bob" });
    const join = await alice.waitFor((f) => f.event === "presence:join" && f.data.userId === "bob");
    expect(join.data).toEqual({ room: "team-a", userId: "bob", clientId: bob.id, info: { name: "Bob" } });
    await bob.expectNone((f) => f.event === "presence:join" && f.data.userId === "bob", 150);
    expect(presenceFrames(alice, "presence:join").length).toBe(1);
  });

  test("a second tab of the same user is no new member; the roster lists both client ids", async () => {
    const s = await start();
    const alice = await member(s, "alice");
    const tab1 = await member(s, "bob");
    const tab2 = await member(s, "bob");
    await alice.waitFor((f) => f.event === "presence:join" && f.data.userId === "bob");
    await alice.expectNone((f) => f.event === "presence:join" && f.data.clientId === tab2.id, 200);
    const roster = await alice.request("presence", { room: "team-a" });
    expect(roster.ok).toBe(true);
    expect(roster.result.total).toBe(2);
    const bob = roster.result.members.find((m: { userId?: string }) => m.userId === "bob");
    expect(bob.clientIds.sort()).toEqual([tab1.id, tab2.id].sort());
  });

  test("an explicit leave of a member's last connection is announced at once; of one tab of two, not at all", async () => {
    const s = await start({ presenceLeaveGraceMs: 60_000 });
    const alice = await member(s, "alice");
    const tab1 = await member(s, "bob");
    const tab2 = await member(s, "bob");
    await tab1.request("leave", { rooms: ["team-a"] });
    await alice.expectNone((f) => f.event === "presence:leave", 200);
    await tab2.request("leave", { rooms: ["team-a"] });
    const leave = await alice.waitFor((f) => f.event === "presence:leave", 2000);
    expect(leave.data).toMatchObject({ room: "team-a", userId: "bob", clientId: tab2.id });
  });

  test("a reconnect within the leave grace produces neither leave nor join; staying away produces one leave", async () => {
    const s = await start({ presenceLeaveGraceMs: 400 });
    const alice = await member(s, "alice");
    const bob = await member(s, "bob");
    await alice.waitFor((f) => f.event === "presence:join" && f.data.userId === "bob");
    bob.close();
    await bob.waitClosed();
    const again = await member(s, "bob");
    await alice.expectNone((f) => f.event === "presence:leave" || (f.event === "presence:join" && f.data.clientId === again.id), 700);
    again.close();
    const leave = await alice.waitFor((f) => f.event === "presence:leave", 3000);
    expect(leave.data).toMatchObject({ userId: "bob", clientId: again.id });
    await alice.expectNone((f) => f.event === "presence:leave" && f.data.clientId !== again.id, 300);
    expect(presenceFrames(alice, "presence:leave").length).toBe(1);
  });

  test("anonymous clients are members of their own, keyed by client id, without a userId", async () => {
    const s = await start();
    const alice = await member(s, "alice");
    const anon = await member(s, undefined);
    const join = await alice.waitFor((f) => f.event === "presence:join" && f.data.clientId === anon.id);
    expect(join.data.userId).toBeUndefined();
    const roster = await alice.request("presence", { room: "team-a" });
    expect(roster.result.members).toContainEqual({ clientIds: [anon.id] });
  });

  test("info that is not an object, or larger than 1 KiB, is ignored and the client is still admitted", async () => {
    const s = await start();
    const alice = await member(s, "alice");
    const big = await member(s, "big", "team-a", { blob: "x".repeat(1100) });
    const list = await member(s, "list", "team-a", ["not", "an", "object"]);
    const text = await member(s, "text", "team-a", "hello");
    const roster = await alice.request("presence", { room: "team-a" });
    for (const c of [big, list, text]) {
      const m = roster.result.members.find((x: { clientIds: string[] }) => x.clientIds.includes(c.id));
      expect(m).toBeDefined();
      expect(m.info).toBeUndefined();
    }
  });

  test("presence requests: not_member for a room the client is not in, not_presence_room for other rooms, invalid_rooms for a bad body", async () => {
    const s = await start();
    const alice = await member(s, "alice");
    const outsider = await member(s, "carol", "team-b");
    expect((await outsider.request("presence", { room: "team-a" })).error.code).toBe("not_member");
    expect((await alice.request("presence", { room: "plain" })).error.code).toBe("not_presence_room");
    expect((await alice.request("presence", { room: "denied-room" })).error.code).toBe("not_presence_room");
    expect((await alice.request("presence", { room: 42 })).error.code).toBe("invalid_rooms");
    expect((await alice.request("presence", null)).error.code).toBe("invalid_rooms");
    // The session survives every refusal.
    expect((await alice.request("presence", { room: "team-a" })).ok).toBe(true);
  });

  test("a presence request before authentication is refused like any other frame", async () => {
    const s = await start();
    const { TestClient } = await import("../helpers/ws-client.ts");
    const raw = await TestClient.connect(s.ws);
    clients.push(raw);
    const ack = await raw.request("presence", { room: "team-a" });
    expect(ack.ok).toBe(false);
    expect(ack.error.code).toBe("not_authenticated");
  });

  test("GET /api/rooms/:name/presence pages through 2,500 members (real sockets) without repeats or gaps", async () => {
    // Overflow mode (max 10) keeps 2,500 joins from fanning out 3 million presence:join frames.
    const s = await start({ presenceMaxMembers: 10, rateLimitPerSecond: 0 });
    for (let batch = 0; batch < 25; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => member(s, `user-${String(batch * 100 + i).padStart(4, "0")}`)));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api(s, "GET", `/api/rooms/team-a/presence?limit=500${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(2500);
      seen.push(...res.body.members.map((m: { userId: string }) => m.userId));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen.length).toBe(2500);
    expect(new Set(seen).size).toBe(2500);
  }, 60_000);

  test("GET presence of a room that is not a presence room answers 400 not_presence_room, not an empty list", async () => {
    const s = await start();
    const res = await api(s, "GET", "/api/rooms/plain/presence");
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("not_presence_room");
    const bad = await api(s, "GET", "/api/rooms/team-a/presence?limit=0");
    expect(bad.status).toBe(400);
    const anon = await api(s, "GET", "/api/rooms/team-a/presence", undefined, null);
    expect(anon.status).toBe(401);
  });

  test("above PRESENCE_MAX_MEMBERS the room stops sending join/leave and says so once with presence:overflow", async () => {
    const s = await start({ presenceMaxMembers: 2 });
    const alice = await member(s, "alice");
    await member(s, "bob");
    await alice.waitFor((f) => f.event === "presence:join" && f.data.userId === "bob");
    await member(s, "carol");
    const overflow = await alice.waitFor((f) => f.event === "presence:overflow");
    expect(overflow.data).toEqual({ room: "team-a", total: 3, max: 2 });
    await member(s, "dave");
    await alice.expectNone((f) => f.event === "presence:join" && (f.data.userId === "carol" || f.data.userId === "dave"), 200);
    expect(presenceFrames(alice, "presence:overflow").length).toBe(1);
    const roster = await alice.request("presence", { room: "team-a" });
    expect(roster.result.total).toBe(4);
  });
});
