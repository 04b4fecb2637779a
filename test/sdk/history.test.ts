/**
 * The SDK recovers history-room messages on its own (issue 10 "done when"): a client that loses
 * its connection while messages are published ends up with every message exactly once, in order.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createClient, type SwitchboardClient } from "../../shared/client/index.ts";
import { startRedis } from "../helpers/redis.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { waitFor } from "./helpers.ts";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const HISTORY = { allowedRooms: ["news"], historyRooms: ["news"], historySize: 1000 };

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer({ ...HISTORY, ...options });
  cleanup.push(() => s.stop());
  return s;
}

function client(options: Parameters<typeof createClient>[0]): { c: SwitchboardClient; got: number[] } {
  const c = createClient(options);
  cleanup.push(() => c.close());
  const got: number[] = [];
  c.on("headline", (data) => void got.push(data as number));
  return { c, got };
}

describe("SDK history recovery", () => {
  test("a client disconnected for a while gets every message exactly once, in order, without user code", async () => {
    const s = await server();
    const { c, got } = client({ url: s.ws, token: () => s.token({ sub: "reader" }), reconnect: { minDelayMs: 1000, maxDelayMs: 1500, jitter: 0 } });
    const { id } = await c.connect();
    const joined = await c.join("news");
    expect(joined.seq).toEqual({ news: 0 });
    let n = 0;
    for (; n < 10; n++) await s.sb.toRoom("news", "headline", n);
    await waitFor(() => got.length === 10, 3000, "first 10");
    await s.sb.disconnect(id);
    await waitFor(() => c.state === "reconnecting", 3000, "reconnecting");
    for (; n < 110; n++) await s.sb.toRoom("news", "headline", n);
    await waitFor(() => c.state === "connected", 5000, "reconnected");
    for (; n < 130; n++) await s.sb.toRoom("news", "headline", n);
    await waitFor(() => got.length >= 130, 5000, "all 130");
    expect(got).toEqual(Array.from({ length: 130 }, (_, i) => i));
  });

  test("moving to another instance after its own is shut down, it recovers from the shared Redis history", async () => {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const a = await startServer({ ...HISTORY, redisUrl: redis.url });
    const b = await server({ redisUrl: redis.url });
    const { c, got } = client({ url: [a.ws, b.ws], token: () => a.token({ sub: "mover" }), reconnect: { minDelayMs: 300, maxDelayMs: 600, jitter: 0 } });
    await c.connect();
    await c.join("news");
    let n = 0;
    for (; n < 5; n++) await b.sb.toRoom("news", "headline", n);
    await waitFor(() => got.length === 5, 3000, "first 5");
    await a.stop();
    for (; n < 60; n++) await b.sb.toRoom("news", "headline", n);
    await waitFor(() => c.state === "connected" && got.length >= 60, 8000, "recovered on b");
    for (; n < 70; n++) await b.sb.toRoom("news", "headline", n);
    await waitFor(() => got.length >= 70, 3000, "live on b");
    expect(got).toEqual(Array.from({ length: 70 }, (_, i) => i));
  }, 20_000);

  test("after a restart that lost the history, recovered:false resets the position and new messages are accepted", async () => {
    const first = await startServer(HISTORY);
    const port = first.port;
    const { c, got } = client({ url: first.ws, token: () => first.token({ sub: "r" }), reconnect: { minDelayMs: 50, maxDelayMs: 200 } });
    await c.connect();
    await c.join("news");
    for (let i = 0; i < 5; i++) await first.sb.toRoom("news", "headline", i);
    await waitFor(() => got.length === 5, 3000, "first 5");
    await first.stop();
    const second = await server({ port });
    await waitFor(() => c.state === "connected", 5000, "reconnected to the new server");
    await waitFor(() => second.sb.getClients({ room: "news" }).length === 1, 3000, "re-joined");
    await second.sb.toRoom("news", "headline", 100);
    await waitFor(() => got.length === 6, 3000, "the first message after the restart");
    expect(got).toEqual([0, 1, 2, 3, 4, 100]);
  });
});
