/**
 * The dashboard's live store and reconnection backoff, without a browser: the log is bounded,
 * subscribers are told once per flush however many frames arrived, stream events mark the
 * server-side pages as changed, and the backoff doubles, caps and jitters.
 */
import { describe, expect, test } from "bun:test";
import type { AdminFrame } from "../../shared/admin.ts";
import { backoffDelay } from "../../shared/backoff.ts";
import { LIVE_BACKOFF } from "../../dashboard/src/live/channel.ts";
import { LOG_LIMIT, LiveStore, SERIES_LIMIT } from "../../dashboard/src/live/store.ts";

/** A store whose flushes run only when the test says so (instead of on animation frames). */
function manualStore() {
  let pending: (() => void) | undefined;
  const store = new LiveStore((flush) => (pending = flush));
  return { store, flush: () => (pending?.(), (pending = undefined)) };
}

const connected = (i: number): AdminFrame => ({ event: "client:connected", data: { clientId: `c${i}`, instanceId: "i1", remoteAddress: "127.0.0.1", at: i } });
const statsData = (connections: number) => ({ connections, authenticated: connections, encrypted: 0, rooms: 0, users: 0, instances: 1, messagesInPerSec: 0, messagesOutPerSec: 0 });
const stats = (at: number, connections: number): AdminFrame => ({ event: "stats", data: { at, ...statsData(connections) } });

describe("LiveStore", () => {
  test("subscribers are told once per flush, however many frames arrived since the last one", () => {
    const { store, flush } = manualStore();
    let calls = 0;
    store.subscribe(() => calls++);
    for (let i = 0; i < 1000; i++) store.apply(connected(i));
    expect(calls).toBe(0);
    flush();
    expect(calls).toBe(1);
    expect(store.get().received).toBe(1000);
  });

  test(`the log keeps only the last ${LOG_LIMIT} events, oldest first`, () => {
    const { store, flush } = manualStore();
    for (let i = 1; i <= LOG_LIMIT + 123; i++) store.apply(connected(i));
    flush();
    const log = store.get().log;
    expect(log.length).toBe(LOG_LIMIT);
    expect(log[0]!.seq).toBe(124);
    expect(log.at(-1)!.seq).toBe(LOG_LIMIT + 123);
  });

  test(`the chart series keep one sample per stats frame, at most ${SERIES_LIMIT}`, () => {
    const { store, flush } = manualStore();
    for (let i = 0; i < SERIES_LIMIT + 10; i++) store.apply(stats(i * 1000, i));
    flush();
    const { t, connections } = store.get().series;
    expect(t.length).toBe(SERIES_LIMIT);
    expect(connections.at(-1)).toBe(SERIES_LIMIT + 9);
    expect(t[0]).toBe(10);
  });

  test("client events and aggregate counts mark the pages as changed; emits mark the sent log", () => {
    const { store, flush } = manualStore();
    store.apply(connected(1));
    flush();
    expect(store.get()).toMatchObject({ changes: 1, emits: 0 });
    store.apply({ event: "emit", data: { instanceId: "i1", target: { broadcast: true }, event: "x", recipients: 3, at: 1 } });
    store.apply({ event: "mode", data: { aggregated: true, eventsPerSec: 900, threshold: 200 } });
    store.apply({ event: "aggregate", data: { counts: { "client:connected": 40, emit: 2 }, windowMs: 1000, at: 2 } });
    flush();
    expect(store.get()).toMatchObject({ changes: 2, emits: 2, aggregated: { eventsPerSec: 900, threshold: 200 } });
    expect(store.get().lastAggregate?.counts["client:connected"]).toBe(40);
  });

  test("a snapshot sets the role and starts a new generation (views refetch after a reconnection)", () => {
    const { store, flush } = manualStore();
    const snapshot: AdminFrame = {
      event: "snapshot",
      data: { role: "viewer", stats: statsData(5), instances: [], clients: { items: [], total: 0, nextCursor: null }, rooms: { items: [], total: 0, nextCursor: null } },
    };
    store.apply(snapshot);
    store.apply(snapshot);
    flush();
    expect(store.get()).toMatchObject({ role: "viewer", generation: 2 });
  });
});

describe("the live channel's backoff", () => {
  const o = LIVE_BACKOFF;
  test("doubles from the initial delay and is capped", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, o, () => 1))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
  test("jitters within the lower 20% of each delay", () => {
    expect(backoffDelay(2, o, () => 0)).toBe(800);
    expect(backoffDelay(2, o, () => 0.5)).toBe(900);
    expect(backoffDelay(2, o, () => 1)).toBe(1000);
  });
});
