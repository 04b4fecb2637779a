/** Recovery's hold-and-flush over a fake transport, with a history fetch the test controls. */
import { describe, expect, test } from "bun:test";
import { MemoryHistory, isComplete, type HistorySlice, type HistoryStore } from "../../server/core/history.ts";
import { fakeHub, settle } from "../helpers/fake-transport.ts";

/** A memory history whose `since` waits until the test releases it. */
class GatedHistory implements HistoryStore {
  readonly inner = new MemoryHistory(100, 60_000);
  release!: () => void;
  private gate = new Promise<void>((r) => (this.release = r));
  append(room: string, event: string, data: unknown) {
    return this.inner.append(room, event, data);
  }
  async since(room: string, after: number): Promise<HistorySlice> {
    const slice = await this.inner.since(room, after);
    await this.gate;
    return slice;
  }
  latest(room: string, limit: number) {
    return this.inner.latest(room, limit);
  }
  async position(room: string): Promise<number> {
    const at = await this.inner.position(room);
    await this.gate;
    return at;
  }
}

describe("recovery hold and flush", () => {
  test("live frames that arrive while the history is fetched are held, then flushed after the replay without duplicates", async () => {
    const history = new GatedHistory();
    const h = await fakeHub({ historyRooms: ["news"], allowedRooms: ["news"] }, { authenticate: async () => ({ userId: "u" }) });
    (h.hub as unknown as { history: HistoryStore }).history = history;
    for (let i = 1; i <= 3; i++) await h.hub.emit({ room: "news" }, "m", i);
    const { conn, session } = h.connect("c1");
    session.receive(JSON.stringify({ event: "authenticate", data: { recover: { rooms: { news: 1 } } } }));
    await settle();
    expect(conn.frames).toEqual([]);
    await h.hub.emit({ room: "news" }, "m", 4);
    await h.hub.emit({ room: "news" }, "m", 5);
    expect(conn.frames).toEqual([]);
    history.release();
    await settle();
    expect(conn.frames[0]).toMatchObject({ event: "connected", data: { recovered: { news: true } } });
    expect(conn.frames.slice(1).map((f) => [f.data, (f as { seq?: number }).seq])).toEqual([[2, 2], [3, 3], [4, 4], [5, 5]]);
    expect(conn.topics.has("ws:room:news")).toBe(true);
    await h.hub.emit({ room: "news" }, "m", 6);
    expect(conn.frames.at(-1)).toMatchObject({ data: 6, seq: 6, room: "news" });
    expect(conn.frames.filter((f) => f.event === "m")).toHaveLength(5);
  });
});

describe("joining a history room", () => {
  test("the join ack carries the position joined at; frames sent while it is read are flushed once, after it", async () => {
    const history = new GatedHistory();
    const h = await fakeHub({ historyRooms: ["news"], allowedRooms: ["news"] }, { authenticate: async () => ({ userId: "u" }) });
    (h.hub as unknown as { history: HistoryStore }).history = history;
    await h.hub.emit({ room: "news" }, "m", 1);
    const { conn, session } = h.connect("c1");
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    conn.sent.length = 0;
    session.receive(JSON.stringify({ event: "join", data: { rooms: ["news"] }, id: "j" }));
    await settle();
    await h.hub.emit({ room: "news" }, "m", 2);
    expect(conn.frames).toEqual([]);
    history.release();
    await settle();
    expect(conn.frames.map((f) => f.event)).toEqual(["m", "ack"]);
    expect(conn.frames[0]).toMatchObject({ data: 2, seq: 2 });
    expect(conn.frames[1]!.data).toEqual({ id: "j", ok: true, result: { joined: ["news"], denied: [], seq: { news: 1 } } });
    await h.hub.emit({ room: "news" }, "m", 3);
    expect(conn.frames.at(-1)).toMatchObject({ data: 3, seq: 3 });
    expect(conn.topics.has("ws:room:news")).toBe(true);
  });
});

describe("history store", () => {
  test("keeps the last N frames and reports completeness", async () => {
    const store = new MemoryHistory(3, 60_000);
    for (let i = 1; i <= 5; i++) await store.append("r", "e", i);
    expect((await store.since("r", 2)).complete).toBe(true);
    expect((await store.since("r", 1)).complete).toBe(false);
    expect((await store.since("r", 5)).frames).toEqual([]);
    expect((await store.latest("r", 2)).frames.map((f) => f.seq)).toEqual([4, 5]);
    expect(isComplete(9, 5, [])).toBe(false);
  });

  test("expires frames older than the TTL", async () => {
    let now = 0;
    const store = new MemoryHistory(10, 1000, () => now);
    await store.append("r", "e", 1);
    now = 1500;
    await store.append("r", "e", 2);
    const slice = await store.since("r", 0);
    expect(slice.frames.map((f) => f.seq)).toEqual([2]);
    expect(slice.complete).toBe(false);
  });
});
