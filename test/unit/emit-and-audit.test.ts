/**
 * The REST emit's critical path (issue 16): local sockets are served before the cluster-wide
 * audience count is asked and never wait for it, the `emit` event reports that count; and the
 * audit queue keeps the audit write off the path while staying bounded and loud about overflow.
 * Also the direct-delivery property of a connection that cannot subscribe to topics.
 */
import { describe, expect, test } from "bun:test";
import { fakeHub, FakeConnection, settle } from "../helpers/fake-transport.ts";
import { AuditQueue } from "../../server/audit/queue.ts";
import { MemoryAuditLog, type AuditEntry, type AuditLog } from "../../server/audit/log.ts";
import type { HubEvent } from "../../server/core/events.ts";
import type { Logger } from "../../server/core/types.ts";

async function oneClient() {
  const h = await fakeHub({ allowedRooms: ["*"] }, { authenticate: async () => ({ userId: "u" }) });
  const c = h.connect("c1");
  c.session.receive(JSON.stringify({ event: "authenticate", data: {} }));
  await settle();
  c.conn.sent.length = 0;
  return { ...h, c };
}

function recordingLog(): Logger & { lines: Array<{ level: string; msg?: string; obj: object }> } {
  const lines: Array<{ level: string; msg?: string; obj: object }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, msg, obj });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const entry = (i: number): AuditEntry => ({ id: `e${i}`, at: i, by: "t", target: { broadcast: true }, event: `ev${i}`, recipients: 0 });

describe("emit: publish first", () => {
  test("the local socket has the frame before the audience count is asked, and emit does not wait for the count", async () => {
    const h = await oneClient();
    let sentWhenAsked = -1;
    const n = await h.hub.emit({ room: "ws-default" }, "news", 1, {
      countAudience: () => {
        sentWhenAsked = h.c.conn.frames.filter((f) => f.event === "news").length;
        return new Promise<number>(() => {}); // a count that never answers
      },
    });
    expect(n).toBe(1);
    expect(sentWhenAsked).toBe(1);
  });

  test("the emit event carries the audience count once it is known, the local count without one", async () => {
    const h = await oneClient();
    const events: HubEvent[] = [];
    h.hub.on((e) => void (e.type === "emit" && events.push(e)));
    let answer!: (n: number) => void;
    await h.hub.emit({ room: "ws-default" }, "counted", 1, { by: "api", countAudience: () => new Promise<number>((r) => (answer = r)) });
    expect(events).toHaveLength(0);
    answer(7);
    await settle();
    expect(events).toMatchObject([{ type: "emit", event: "counted", recipients: 7, by: "api" }]);
    await h.hub.emit({ room: "ws-default" }, "local", 1);
    expect(events[1]).toMatchObject({ event: "local", recipients: 1 });
  });

  test("a failed audience count falls back to the local count in the event", async () => {
    const h = await oneClient();
    const events: HubEvent[] = [];
    h.hub.on((e) => void (e.type === "emit" && events.push(e)));
    const failing = Promise.reject(new Error("redis down"));
    failing.catch(() => {});
    await h.hub.emit({ room: "ws-default" }, "x", 1, { countAudience: () => failing });
    await settle();
    expect(events).toMatchObject([{ recipients: 1 }]);
  });
});

describe("direct delivery", () => {
  test("a connection that cannot subscribe to topics gets room and broadcast frames by direct sends", async () => {
    const h = await fakeHub({ allowedRooms: ["*"] }, { authenticate: async () => ({ userId: "u" }) });
    const conn = new FakeConnection();
    Object.assign(conn, { direct: true });
    const session = h.hub.open(conn, "sse-1")!;
    session.receive(JSON.stringify({ event: "authenticate", data: {} }));
    await settle();
    expect(conn.topics.size).toBe(0);
    expect(await h.hub.emit({ room: "ws-default" }, "room-frame", 1)).toBe(1);
    expect(await h.hub.emit({ broadcast: true }, "all-frame", 1)).toBe(1);
    expect(conn.events()).toEqual(expect.arrayContaining(["room-frame", "all-frame"]));
    expect(h.publisher.published).toHaveLength(0);
    expect(h.hub.counts()).toMatchObject({ authenticated: 1, encrypted: 0 });
  });
});

describe("audit queue", () => {
  test("record resolves before the store wrote the entry; list shows it", async () => {
    let release!: () => void;
    const store = new MemoryAuditLog();
    const slow: AuditLog = { record: (e) => new Promise<void>((r) => (release = () => void store.record(e).then(r))), list: (n) => store.list(n) };
    const queue = new AuditQueue(slow, recordingLog());
    await queue.record(entry(1));
    expect(await store.list(10)).toEqual([]);
    const listed = queue.list(10);
    release();
    expect((await listed).map((e) => e.id)).toEqual(["e1"]);
  });

  test("entries beyond the bound are dropped, counted and logged once per overflow, then the queue recovers", async () => {
    const gates: Array<() => void> = [];
    const store = new MemoryAuditLog();
    const gated: AuditLog = { record: (e) => new Promise<void>((r) => gates.push(() => void store.record(e).then(r))), list: (n) => store.list(n) };
    const log = recordingLog();
    const queue = new AuditQueue(gated, log, 2);
    for (let i = 0; i < 6; i++) await queue.record(entry(i));
    // e0 is being written, e1 and e2 wait: e3, e4, e5 did not fit.
    expect(queue.dropped).toBe(3);
    expect(log.lines.filter((l) => l.level === "error")).toHaveLength(1);
    while (gates.length > 0 || queue.size > 0) {
      gates.shift()?.();
      await settle();
    }
    await queue.flush();
    expect((await store.list(10)).map((e) => e.id)).toEqual(["e2", "e1", "e0"]);
    expect(log.lines.some((l) => l.level === "warn" && (l.obj as { dropped?: number }).dropped === 3)).toBe(true);
    await queue.record(entry(9));
    const listed = queue.list(1);
    gates.shift()!();
    expect((await listed).map((e) => e.id)).toEqual(["e9"]);
  });

  test("a store that fails is logged per entry and does not stop the queue", async () => {
    const store = new MemoryAuditLog();
    let calls = 0;
    const flaky: AuditLog = { record: async (e) => (++calls === 1 ? Promise.reject(new Error("boom")) : store.record(e)), list: (n) => store.list(n) };
    const log = recordingLog();
    const queue = new AuditQueue(flaky, log);
    await queue.record(entry(1));
    await queue.record(entry(2));
    expect((await queue.list(10)).map((e) => e.id)).toEqual(["e2"]);
    expect(log.lines.filter((l) => l.level === "error" && l.msg?.includes("could not be stored"))).toHaveLength(1);
  });
});
