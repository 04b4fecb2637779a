/**
 * The parts of the cluster view that decide what to say, with fakes for Redis: the admin event
 * feed's batching and storm summary, the admin channel's counting of summarized events, and the
 * instance watch's up/down decisions around a Redis outage.
 */
import { describe, expect, test } from "bun:test";
import { AdminChannel, type StreamEvent } from "../../server/admin/channel.ts";
import type { Broker, BrokerHealthHandler } from "../../server/broker/broker.ts";
import { EventFeed, type AdminSink, type EventCounts } from "../../server/cluster/event-feed.ts";
import { InstanceWatch } from "../../server/cluster/instance-watch.ts";
import type { InstanceMeta } from "../../server/cluster/keys.ts";
import type { ClusterView } from "../../server/cluster/view.ts";
import type { RoleResolver } from "../../server/auth/roles.ts";
import { silentLogger } from "../../server/core/types.ts";

function fakeBroker() {
  const published: Array<[string, string]> = [];
  let health: BrokerHealthHandler = () => {};
  const broker = {
    connected: true,
    publish: async (channel: string, message: string) => void published.push([channel, message]),
    onHealth: (h: BrokerHealthHandler) => void (health = h),
  };
  return { broker: broker as unknown as Broker, published, setHealth: (up: boolean) => health(up) };
}

function recordingSink(): AdminSink & { events: StreamEvent[]; counts: EventCounts[] } {
  const events: StreamEvent[] = [];
  const counts: EventCounts[] = [];
  return { size: 1, events, counts, publish: (e) => void events.push(e), countOnly: (c) => void counts.push(c) };
}

const connected = (i: number): StreamEvent => ({ event: "client:connected", data: { clientId: `c${i}`, instanceId: "a", remoteAddress: "::1", at: i } });

describe("cluster admin event feed", () => {
  test("events are batched into one message; beyond the cap a storm is summarized as counts", async () => {
    const { broker, published } = fakeBroker();
    const feed = new EventFeed({ instanceId: "a", broker, batchMs: 10, maxPerBatch: 50 });
    for (let i = 0; i < 180; i += 1) feed.share(connected(i));
    feed.share({ event: "room:joined", data: { clientId: "c1", instanceId: "a", room: "r", at: 1 } });
    await Bun.sleep(30); // the batch window is the subject
    expect(published).toHaveLength(1);
    const [channel, text] = published[0]!;
    const batch = JSON.parse(text);
    expect(channel).toBe("sb:events");
    expect(batch.from).toBe("a");
    expect(batch.events).toHaveLength(50);
    expect(batch.overflow).toEqual({ "client:connected": 130, "room:joined": 1 });

    const sink = recordingSink();
    const other = new EventFeed({ instanceId: "b", broker });
    other.forwardTo(sink);
    other.receive(text);
    expect(sink.events).toHaveLength(50);
    expect(sink.counts).toEqual([{ "client:connected": 130, "room:joined": 1 }]);
    feed.receive(text); // its own batch: ignored
    other.receive("not json");
    expect(sink.events).toHaveLength(50);
  });

  test("the admin channel counts summarized events toward its rate and aggregates", async () => {
    const page = async () => ({ items: [], total: 0, nextCursor: null });
    const view = { stats: async () => ({}), instances: async () => [], listClients: page, listRooms: page } as unknown as ClusterView;
    const roles = { resolve: async () => ({ role: "admin", subject: "test" }) } as unknown as RoleResolver;
    const channel = new AdminChannel({ view, roles, log: silentLogger, aggregateAbove: 100, bufferLimit: 1 << 20, authTimeoutMs: 1000 });
    const sent: string[] = [];
    const conn = channel.open({ send: (t) => (sent.push(t), t.length), close: () => {}, bufferedAmount: () => 0 });
    await channel.message(conn, JSON.stringify({ event: "authenticate", data: { token: "t" } }));
    expect(channel.size).toBe(1);
    channel.countOnly({ "client:connected": 60 });
    expect(channel.isAggregated).toBe(false);
    channel.countOnly({ "client:connected": 60, "room:joined": 5 });
    expect(channel.isAggregated).toBe(true);
    await channel.tick();
    const aggregate = sent.map((t) => JSON.parse(t)).find((f) => f.event === "aggregate");
    expect(aggregate.data.counts).toEqual({ "client:connected": 60, "room:joined": 5 });
    channel.close(conn);
  });
});

describe("instance watch", () => {
  const metas = (...ids: string[]) => ids.map((id) => ({ id }) as InstanceMeta);

  test("reports appearances and disappearances; around a Redis restart only an instance not seen again waits for the grace", async () => {
    const { broker, setHealth } = fakeBroker();
    let live = metas("x", "y");
    const reports: string[] = [];
    const watch = new InstanceWatch({ broker, read: async () => live, report: (e) => void reports.push(`${e.event} ${e.data.instanceId}`), intervalMs: 3_600_000, graceMs: 3_600_000 });
    watch.start();
    await watch.poll();
    expect(reports).toEqual([]); // the first read only learns who is there
    live = metas("x", "y", "z");
    await watch.poll();
    live = metas("x", "z");
    await watch.poll();
    expect(reports).toEqual(["instance:up z", "instance:down y"]);

    setHealth(true); // this instance reconnected: x and z must republish
    live = metas("z");
    await watch.poll();
    expect(reports).toHaveLength(2); // x is presumed up during the grace
    live = metas("x", "z");
    await watch.poll();
    live = metas("z");
    await watch.poll();
    expect(reports).toEqual(["instance:up z", "instance:down y", "instance:down x"]); // seen again since, so its loss counts at once
    watch.stop();
  });
});
