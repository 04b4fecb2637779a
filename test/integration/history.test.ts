/** History and recovery (issue 10) on one instance: seq, replay before live, gaps, TTL, policy. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";

let s: TestServer;
beforeAll(async () => {
  s = await startServer({ allowedRooms: ["news", "feed-*", "plain"], historyRooms: ["news", "feed-*"], historySize: 200 });
});
afterAll(() => s.stop());

const seqs = (c: TestClient, room: string) => c.frames.filter((f) => f.room === room).map((f) => f.seq!);

describe("sequencing", () => {
  test("messages of a history room carry a gap-free seq and the room; other rooms carry neither", async () => {
    const c = await s.client({ sub: "seq" });
    await c.request("join", { rooms: ["feed-seq", "plain"] });
    for (let i = 0; i < 5; i++) await s.sb.toRoom("feed-seq", "tick", i);
    await s.sb.toRoom("plain", "untracked", 1);
    await c.waitForEvent("untracked");
    expect(c.frames.filter((f) => f.event === "tick").map((f) => [f.seq, f.room, f.data])).toEqual([0, 1, 2, 3, 4].map((i) => [i + 1, "feed-seq", i]));
    const plain = c.frames.find((f) => f.event === "untracked")!;
    expect("seq" in plain || "room" in plain).toBe(false);
    c.close();
  });

  test("concurrent publishers keep the seq gap-free", async () => {
    const c = await s.client({ sub: "conc" });
    await c.request("join", { rooms: ["feed-conc"] });
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.sb.toRoom("feed-conc", "n", i)));
    await c.waitFor((f) => f.seq === 50);
    expect([...seqs(c, "feed-conc")].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    c.close();
  });
});

describe("recovery", () => {
  test("a client that reconnects gets exactly the messages it missed, in order, before live ones", async () => {
    const first = await s.client({ sub: "reader" });
    await first.request("join", { rooms: ["news"] });
    await s.sb.toRoom("news", "headline", "before");
    const seen = (await first.waitForEvent("headline")).seq!;
    first.close();
    await first.closed;
    for (let i = 0; i < 100; i++) await s.sb.toRoom("news", "headline", i);
    const again = await TestClient.connect(s.ws);
    again.send({ event: "authenticate", data: { token: await s.token({ sub: "reader" }), recover: { rooms: { news: seen } } } });
    const connected = await again.waitForEvent("connected");
    expect(connected.data.recovered).toEqual({ news: true });
    await s.sb.toRoom("news", "headline", "live");
    await again.waitFor((f) => f.data === "live");
    const got = again.frames.filter((f) => f.event === "headline");
    expect(got.map((f) => f.data)).toEqual([...Array.from({ length: 100 }, (_, i) => i), "live"]);
    expect(got.map((f) => f.seq)).toEqual(Array.from({ length: 101 }, (_, i) => seen + 1 + i));
    again.close();
  });

  test("messages published during the replay are neither lost nor doubled", async () => {
    for (let i = 0; i < 150; i++) await s.sb.toRoom("feed-race", "m", i);
    const c = await TestClient.connect(s.ws);
    c.send({ event: "authenticate", data: { token: await s.token({ sub: "racer" }), recover: { rooms: { "feed-race": 0 } } } });
    let sent = 150;
    while (!c.connected && sent < 2000) await s.sb.toRoom("feed-race", "m", sent++);
    for (let i = 0; i < 20; i++) await s.sb.toRoom("feed-race", "m", sent++);
    await c.waitFor((f) => f.data === sent - 1);
    const list = seqs(c, "feed-race");
    const firstKept = list[0]!;
    expect(list).toEqual(Array.from({ length: list.length }, (_, i) => firstKept + i));
    expect(list[list.length - 1]).toBe(sent);
    c.close();
  });

  test("a gap larger than the history reports recovered:false and replays what is kept", async () => {
    const small = await startServer({ allowedRooms: ["news"], historyRooms: ["news"], historySize: 10 });
    try {
      for (let i = 0; i < 30; i++) await small.sb.toRoom("news", "h", i);
      const c = await TestClient.connect(small.ws);
      c.send({ event: "authenticate", data: { token: await small.token(), recover: { rooms: { news: 5 } } } });
      expect((await c.waitForEvent("connected")).data.recovered).toEqual({ news: false });
      await c.waitFor((f) => f.seq === 30);
      expect(seqs(c, "news")).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
    } finally {
      await small.stop();
    }
  });

  test("messages older than HISTORY_TTL_S are gone: recovered:false", async () => {
    const brief = await startServer({ allowedRooms: ["news"], historyRooms: ["news"], historyTtlSeconds: 1 });
    try {
      await brief.sb.toRoom("news", "old", 1);
      await Bun.sleep(1100); // time is the subject: the entry must age past its TTL
      await brief.sb.toRoom("news", "new", 2);
      const c = await TestClient.connect(brief.ws);
      c.send({ event: "authenticate", data: { token: await brief.token(), recover: { rooms: { news: 0 } } } });
      expect((await c.waitForEvent("connected")).data.recovered).toEqual({ news: false });
      await c.waitForEvent("new");
      expect(c.frames.some((f) => f.event === "old")).toBe(false);
    } finally {
      await brief.stop();
    }
  });

  test("recovery obeys the room policy: a room the token may not join is neither joined nor replayed", async () => {
    await s.sb.toRoom("feed-x", "m", 1);
    const c = await TestClient.connect(s.ws);
    c.send({ event: "authenticate", data: { token: await s.token({ sub: "r" }), recover: { rooms: { "feed-x": 0, secret: 0 } } } });
    expect((await c.waitForEvent("connected")).data.recovered).toEqual({ "feed-x": true, secret: false });
    expect(s.sb.getClient(c.id)!.rooms).toContain("feed-x");
    expect(s.sb.getClient(c.id)!.rooms).not.toContain("secret");
    c.close();
  });

  test("an up-to-date client recovers nothing and is complete; malformed recover data is ignored", async () => {
    const c = await TestClient.connect(s.ws);
    const { seq } = (await api(s, "GET", "/api/rooms/news/history?limit=1")).body;
    c.send({ event: "authenticate", data: { token: await s.token({ sub: "r2" }), recover: { rooms: { news: seq } } } });
    expect((await c.waitForEvent("connected")).data.recovered).toEqual({ news: true });
    const d = await TestClient.connect(s.ws);
    d.send({ event: "authenticate", data: { token: await s.token({ sub: "r3" }), recover: { rooms: ["news"] } } });
    expect((await d.waitForEvent("connected")).data.recovered).toBeUndefined();
    c.close();
    d.close();
  });
});

describe("GET /api/rooms/:name/history", () => {
  test("returns the kept messages oldest first with the room's seq; 404 for a room without history", async () => {
    await s.sb.toRoom("feed-api", "a", 1);
    await s.sb.toRoom("feed-api", "b", 2);
    const r = await api(s, "GET", "/api/rooms/feed-api/history");
    expect(r.body).toEqual({ room: "feed-api", seq: 2, items: [{ event: "a", data: 1, seq: 1, room: "feed-api" }, { event: "b", data: 2, seq: 2, room: "feed-api" }] });
    expect((await api(s, "GET", "/api/rooms/plain/history")).status).toBe(404);
  });

  test("GET /api/rooms and GET /api/rooms/:name say which rooms keep history, so no client has to probe for a 404", async () => {
    const c = await s.client({ sub: "flags" });
    await c.request("join", { rooms: ["feed-flags", "plain"] });
    const listed = (await api(s, "GET", "/api/rooms?limit=500")).body.items;
    expect(listed).toContainEqual({ name: "feed-flags", size: 1, history: true });
    expect(listed).toContainEqual({ name: "plain", size: 1, history: false });
    expect((await api(s, "GET", "/api/rooms/feed-flags")).body).toMatchObject({ name: "feed-flags", history: true });
    expect((await api(s, "GET", "/api/rooms/plain")).body).toMatchObject({ name: "plain", history: false });
    c.close();
  });

  test("without a history store configured (no HISTORY_ROOMS) no room is flagged as a history room", async () => {
    const bare = await startServer({ allowedRooms: ["news"] });
    const c = await bare.client({ sub: "bare" });
    await c.request("join", { rooms: ["news"] });
    expect((await api(bare, "GET", "/api/rooms")).body.items).toContainEqual({ name: "news", size: 1, history: false });
    c.close();
    await bare.stop();
  });
});
