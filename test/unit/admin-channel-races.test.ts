/**
 * Admin channel authentication races (issue 9): with a slow cluster view (Redis), an admin
 * socket can close, or send more frames, while its authentication and snapshot are in progress.
 */
import { describe, expect, test } from "bun:test";
import { AdminChannel, type AdminSocket } from "../../server/admin/channel.ts";
import { RoleResolver } from "../../server/auth/roles.ts";
import type { ClusterView } from "../../server/cluster/view.ts";
import { silentLogger } from "../../server/core/types.ts";

const TOKEN = "admin-token-0123456789abcdef";
const emptyPage = { items: [], total: 0, nextCursor: null };
const stats = { instances: 1, connections: 0, authenticated: 0, encrypted: 0, rooms: 0, users: 0, messagesInPerSec: 0, messagesOutPerSec: 0 };

/** A view whose `stats()` answers only when the test says so (a slow cluster view). */
function slowView() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const view = { stats: async () => (await gate, stats), instances: async () => [], listClients: async () => emptyPage, listRooms: async () => emptyPage } as unknown as ClusterView;
  return { view, release: () => release() };
}

class FakeSocket implements AdminSocket {
  sent: string[] = [];
  closedWith?: number;
  send(text: string) {
    this.sent.push(text);
    return text.length;
  }
  close(code: number) {
    this.closedWith = code;
  }
  bufferedAmount() {
    return 0;
  }
}

const authenticate = JSON.stringify({ event: "authenticate", data: { token: TOKEN } });

function channelOver(view: ClusterView): AdminChannel {
  return new AdminChannel({ view, roles: new RoleResolver({ adminToken: TOKEN }), log: silentLogger, aggregateAbove: 100, bufferLimit: 1 << 20, authTimeoutMs: 1000 });
}

describe("admin channel races", () => {
  test("a socket that closes while its snapshot is being read is not registered afterwards", async () => {
    const { view, release } = slowView();
    const channel = channelOver(view);
    const conn = channel.open(new FakeSocket());
    const authenticating = channel.message(conn, authenticate);
    channel.close(conn);
    release();
    await authenticating;
    expect(channel.size).toBe(0);
    channel.shutdown();
  });

  test("frames sent while the first authenticate is checked are ignored: one snapshot, no close", async () => {
    const { view, release } = slowView();
    const channel = channelOver(view);
    const socket = new FakeSocket();
    const conn = channel.open(socket);
    const first = channel.message(conn, authenticate);
    const extra = [channel.message(conn, "garbage"), channel.message(conn, authenticate), channel.message(conn, JSON.stringify({ event: "authenticate", data: { token: "wrong" } }))];
    release();
    await Promise.all([first, ...extra]);
    expect(socket.closedWith).toBeUndefined();
    expect(socket.sent.map((t) => JSON.parse(t).event)).toEqual(["snapshot"]);
    expect(channel.size).toBe(1);
    channel.shutdown();
  });
});
