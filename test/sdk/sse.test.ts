/**
 * The SDK's receive-only SSE transport on Bun (fetch reader) against a real server: emits
 * arrive, join/leave/request reject clearly, an operator disconnect is followed by a reconnect
 * with backoff that recovers the history room without loss, a refused token ends it for good,
 * and invalid options fail at creation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createClient, SwitchboardError, type SwitchboardClient } from "../../shared/client/index.ts";
import { SseParser, toFrame } from "../../shared/client/sse.ts";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import { waitFor } from "./helpers.ts";

let server: TestServer;
const clients: SwitchboardClient<any>[] = [];

function sseClient(options: Partial<Parameters<typeof createClient>[0]> = {}): SwitchboardClient<any> {
  const c = createClient({
    url: `${server.http}/sse`, transport: "sse", token: () => server.token({ sub: "sara" }), rooms: ["lobby", "h-feed"],
    reconnect: { minDelayMs: 20, maxDelayMs: 200 }, ...options,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startServer({ allowedRooms: ["lobby", "h-*"], historyRooms: ["h-*"] });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.stop());

const emit = (event: string, data: unknown, to: Record<string, unknown>) => api(server, "POST", "/api/emit", { event, data, to });

describe("SDK transport sse", () => {
  test("connects over a ticket and the stream, and receives a REST emit (handlers and onAny)", async () => {
    const c = sseClient();
    const connected = await c.connect();
    expect(connected.userId).toBe("sara");
    expect(c.id).toBe(connected.id);
    const got: unknown[] = [];
    const any: string[] = [];
    c.on("news", (data) => got.push(data));
    c.onAny((event) => any.push(event));
    await emit("news", { text: "hi" }, { room: "lobby" });
    await emit("unnamed", 1, { user: "sara" });
    await waitFor(() => any.includes("unnamed"), 5000, "both events");
    expect(got).toEqual([{ text: "hi" }]);
    expect(any).toEqual(["news", "unnamed"]);
    expect((await server.sb.client(connected.id))?.transport).toBe("sse");
  });

  test("join, leave and request reject with receive_only, and nothing changes", async () => {
    const c = sseClient();
    await c.connect();
    for (const call of [() => c.join("lobby"), () => c.leave("lobby"), () => c.request("echo", {})]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SwitchboardError);
      expect((err as SwitchboardError).code).toBe("receive_only");
      expect((err as SwitchboardError).message).toContain("receive-only SSE transport");
    }
    expect(c.rooms).toEqual([]);
    expect(c.state).toBe("connected");
  });

  test("after an operator disconnect it reconnects with a new ticket and recovers the history room without loss", async () => {
    const c = sseClient();
    const first = await c.connect();
    const seen: number[] = [];
    c.on("tick", (data: { n: number }) => seen.push(data.n));
    await emit("tick", { n: 1 }, { room: "h-feed" });
    await waitFor(() => seen.length === 1, 5000, "first tick");
    const closes: Array<{ code: number; willReconnect: boolean }> = [];
    c.on("close", (e) => closes.push(e));
    expect((await api(server, "DELETE", `/api/clients/${first.id}`)).status).toBe(200);
    await waitFor(() => closes.length === 1, 5000, "close event");
    expect(closes[0]).toMatchObject({ code: 4007, willReconnect: true });
    // Sent while the client is away: it must get them on its next stream, in order, once.
    await emit("tick", { n: 2 }, { room: "h-feed" });
    await emit("tick", { n: 3 }, { room: "h-feed" });
    await waitFor(() => c.state === "connected" && c.id !== first.id, 5000, "reconnected");
    await emit("tick", { n: 4 }, { room: "h-feed" });
    await waitFor(() => seen.length >= 4, 5000, "every tick");
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  test("a token the server refuses ends the client with 4003 and no retry (fixed token)", async () => {
    const c = sseClient({ token: "not-a-jwt" });
    const closes: Array<{ code: number; willReconnect: boolean }> = [];
    c.on("close", (e) => closes.push(e));
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(c.state).toBe("closed");
    expect(closes).toEqual([expect.objectContaining({ code: 4003, willReconnect: false })]);
  });

  test("invalid SSE options fail at creation with a clear message", () => {
    expect(() => createClient({ url: server.ws, transport: "sse", token: "t", autoConnect: false })).toThrow(/is not a http:\/\/ or https:\/\/ URL \(the SSE path/);
    expect(() => createClient({ url: `${server.http}/sse`, transport: "sse", token: "t", encryption: "required", autoConnect: false })).toThrow(/not available with transport "sse"/);
    expect(() => createClient({ url: `${server.http}/sse`, transport: "sse", token: "t", rooms: [""], autoConnect: false })).toThrow(/rooms must be an array of room names/);
    expect(() => createClient({ url: `${server.http}/sse`, transport: "smoke" as "sse", token: "t", autoConnect: false })).toThrow(/transport must be "ws" or "sse"/);
  });
});

describe("SSE parser", () => {
  test("handles CRLF, comments, split chunks and multi-line data; ids become room and seq", () => {
    const p = new SseParser();
    expect(p.push(": keep-alive\r\n\r\nevent: a\r\nid: h-1:7\r\ndata: {\"x\"")).toEqual([]);
    expect(p.push(":1}\r\n\r\ndata: 1\ndata: 2\n\n")).toEqual([{ event: "a", data: '{"x":1}', id: "h-1:7" }, { event: "message", data: "1\n2", id: undefined }]);
    expect(toFrame("a", '{"x":1}', "room:with:colons:12")).toEqual({ event: "a", data: { x: 1 }, room: "room:with:colons", seq: 12 });
    expect(toFrame("b", "null", "not-an-id")).toEqual({ event: "b" });
  });
});
