/**
 * Limits and liveness for SSE clients, as for WebSocket clients: a reader that stops reading is
 * cut off (4006) while a healthy one gets everything; MAX_CONNECTIONS_PER_USER and
 * MAX_CONNECTIONS count SSE streams; keep-alives are the activity of a receive-only client, so a
 * reading stream outlives the heartbeat timeout.
 */
import { afterEach, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { startServer, type TestServer } from "../helpers/server.ts";
import { requestTicket, TestSseStream } from "../helpers/sse-client.ts";

let servers: TestServer[] = [];

afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
});

async function start(options: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

/** A raw HTTP client that reads the stream head and `connected`, then reads only when told. */
async function rawStream(server: TestServer, token: string, rooms: string[]): Promise<{ socket: Socket; id: string; text: () => string; resume: () => void; ended: Promise<void> }> {
  const { body } = await requestTicket(server.http, token, { rooms });
  const socket = connect(server.port, "127.0.0.1");
  let text = "";
  let onEnd = () => {};
  // The response ends with chunked encoding's zero-length chunk (the connection itself may stay open).
  const ended = new Promise<void>((resolve) => (onEnd = resolve));
  // Only the head and the tail are kept: the tail shows how the stream ended.
  socket.on("data", (chunk) => {
    text = (text + chunk.toString("latin1")).slice(-4096);
    if (text.endsWith("\r\n0\r\n\r\n")) onEnd();
  });
  socket.write(`GET /sse?ticket=${body.ticket} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  for (let i = 0; i < 250 && !/event: connected\ndata: .*\n\n/.test(text); i++) await Bun.sleep(20);
  const id = /"id":"([^"]+)"/.exec(text)?.[1];
  if (!id) throw new Error(`no connected event: ${text.slice(0, 300)}`);
  socket.pause();
  return { socket, id, text: () => text, resume: () => socket.resume(), ended };
}

test("a reader that stops reading is cut off with 4006 while a healthy SSE member of the room gets every message", async () => {
  const closes = new Map<string, number>();
  const server = await start({
    allowedRooms: ["feed"], backpressureLimit: 64 * 1024, slowConsumerGraceMs: 200, rateLimitPerSecond: 0,
    onClientDisconnected: ({ clientId, code }) => void closes.set(clientId, code),
  });
  const slow = await rawStream(server, await server.token({ sub: "slow" }), ["feed"]);
  const healthy = await TestSseStream.connect(server.http, await server.token({ sub: "healthy" }), { rooms: ["feed"] });
  const payload = "x".repeat(256 * 1024);
  // Loopback kernel buffers absorb several MiB before Bun stops pulling; 40 MiB is far beyond that.
  let sent = 0;
  for (; sent < 160 && !closes.has(slow.id); sent++) {
    await server.sb.toRoom("feed", "big", { n: sent, payload });
    if (sent % 8 === 7) await healthy.until(() => healthy.events.filter((e) => e.event === "big").length > sent - 4, 10_000, "healthy member keeping up");
  }
  for (let i = 0; i < 250 && !closes.has(slow.id); i++) await Bun.sleep(20);
  expect(closes.get(slow.id)).toBe(4006);
  expect(await server.sb.client(slow.id)).toBeUndefined();
  await healthy.until(() => healthy.events.filter((e) => e.event === "big").length === sent, 15_000, "every message");
  expect(healthy.events.filter((e) => e.event === "big").map((e) => e.data.n)).toEqual([...Array(sent).keys()]);
  expect(closes.has(healthy.connected!.data.id)).toBe(false);
  // Once it reads again, the slow reader sees what the kernel held, then the disconnect and the end.
  slow.resume();
  await slow.ended;
  // (chunked transfer encoding: the last chunk carries the disconnect event, then the zero-length chunk)
  expect(slow.text()).toMatch(/event: disconnect\ndata: \{"code":4006,"reason":"Slow consumer"\}\n\n\r\n0\r\n\r\n$/);
  healthy.close();
  slow.socket.destroy();
}, 60_000);

test("MAX_CONNECTIONS_PER_USER counts SSE streams: the second session of the user is refused with 429 and a JSON error", async () => {
  const server = await start({ maxConnectionsPerUser: 1 });
  const ws = await server.client({ sub: "alice" });
  const { body } = await requestTicket(server.http, await server.token({ sub: "alice" }));
  const res = (await TestSseStream.open(server.http, body.ticket)) as Response;
  expect(res.status).toBe(429);
  expect(await res.json()).toEqual({ error: { code: "too_many_connections", message: "Too many connections" } });
  ws.close();
});

test("MAX_CONNECTIONS counts SSE streams and WebSockets together", async () => {
  const server = await start({ maxConnections: 2 });
  const sse = await TestSseStream.connect(server.http, await server.token({ sub: "a" }));
  const ws = await server.client({ sub: "b" });
  const { body } = await requestTicket(server.http, await server.token({ sub: "c" }));
  const refused = (await TestSseStream.open(server.http, body.ticket)) as Response;
  expect(refused.status).toBe(503);
  expect((await refused.json()).error.code).toBe("too_many_connections");
  const upgrade = await fetch(`${server.http}/ws`, { headers: { upgrade: "websocket", connection: "upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } });
  expect(upgrade.status).toBe(503);
  sse.close();
  ws.close();
});

test("keep-alive writes are a reading SSE client's activity: it outlives several heartbeat timeouts", async () => {
  const closes: number[] = [];
  const server = await start({ heartbeatInterval: 50, heartbeatTimeout: 200, onClientDisconnected: ({ code }) => void closes.push(code) });
  const sse = await TestSseStream.connect(server.http, await server.token({ sub: "quiet" }));
  // Time is the subject: the stream must stay open across five timeouts with nothing but keep-alives.
  await Bun.sleep(1000);
  expect(sse.comments).toBeGreaterThanOrEqual(3);
  expect(sse.ended).toBe(false);
  expect(closes).toEqual([]);
  expect((await server.sb.client(sse.connected!.data.id))?.transport).toBe("sse");
  sse.close();
});
