/** Flood control of the admin channel: aggregated mode and the bounded per-socket buffer. */
import { describe, expect, test } from "bun:test";
import { AdminChannel, type AdminSocket, type StreamEvent } from "../../server/admin/channel.ts";
import { RoleResolver } from "../../server/auth/roles.ts";
import type { ClusterView } from "../../server/cluster/view.ts";
import { silentLogger } from "../../server/core/types.ts";

const TOKEN = "admin-token-0123456789abcdef";
const emptyPage = { items: [], total: 0, nextCursor: null };
const stats = { instances: 1, connections: 0, authenticated: 0, encrypted: 0, rooms: 0, users: 0, messagesInPerSec: 0, messagesOutPerSec: 0 };
const view = { stats: async () => stats, instances: async () => [], listClients: async () => emptyPage, listRooms: async () => emptyPage } as unknown as ClusterView;

class FakeSocket implements AdminSocket {
  sent: string[] = [];
  buffered = 0;
  send(text: string) {
    this.sent.push(text);
    return text.length;
  }
  close() {}
  bufferedAmount() {
    return this.buffered;
  }
  events() {
    return this.sent.map((t) => JSON.parse(t).event as string);
  }
}

const event = (i: number): StreamEvent => ({ event: "client:connected", data: { clientId: `c${i}`, instanceId: "i", remoteAddress: "", at: i } });

async function channelWithSocket(aggregateAbove = 10, bufferLimit = 1000) {
  const channel = new AdminChannel({ view, roles: new RoleResolver({ adminToken: TOKEN }), log: silentLogger, aggregateAbove, bufferLimit, authTimeoutMs: 1000 });
  const socket = new FakeSocket();
  const conn = channel.open(socket);
  await channel.message(conn, JSON.stringify({ event: "authenticate", data: { token: TOKEN } }));
  return { channel, socket, conn };
}

describe("admin channel flood control", () => {
  test("events stream one by one below the threshold", async () => {
    const { channel, socket } = await channelWithSocket();
    for (let i = 0; i < 10; i++) channel.publish(event(i));
    expect(socket.events().filter((e) => e === "client:connected")).toHaveLength(10);
    channel.shutdown();
  });

  test("above the threshold the stream announces aggregated mode, then sends only per-second counts, then returns", async () => {
    const { channel, socket } = await channelWithSocket();
    for (let i = 0; i < 50; i++) channel.publish(event(i));
    expect(socket.events().filter((e) => e === "client:connected")).toHaveLength(10);
    expect(socket.events()).toContain("mode");
    await channel.tick();
    const aggregate = socket.sent.map((t) => JSON.parse(t)).find((f) => f.event === "aggregate");
    expect(aggregate.data.counts).toEqual({ "client:connected": 40 });
    await channel.tick();
    const modes = socket.sent.map((t) => JSON.parse(t)).filter((f) => f.event === "mode").map((f) => f.data.aggregated);
    expect(modes).toEqual([true, false]);
    channel.shutdown();
  });

  test("while a socket's send buffer is above the limit, stream frames to it are dropped and counted", async () => {
    const { channel, socket, conn } = await channelWithSocket(1000, 1000);
    socket.buffered = 5000;
    const before = socket.sent.length;
    for (let i = 0; i < 20; i++) channel.publish(event(i));
    expect(socket.sent.length).toBe(before);
    expect(conn.dropped).toBe(20);
    socket.buffered = 0;
    channel.publish(event(99));
    expect(socket.sent.length).toBe(before + 1);
    channel.shutdown();
  });
});
