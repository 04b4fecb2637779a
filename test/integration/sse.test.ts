/**
 * The SSE transport (SPEC §15) against a real server: tickets (single use, expiry, refused
 * JWTs), the stream's frames, history ids and Last-Event-ID recovery, and SSE clients counted
 * like WebSocket clients (/api/clients, room counts, metrics, operator disconnect, shutdown).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import { requestTicket, TestSseStream } from "../helpers/sse-client.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ allowedRooms: ["lobby", "news-*", "h-*"], historyRooms: ["h-*"], sseTicketTtlMs: 400 });
});

afterAll(async () => {
  await server?.stop();
});

const emit = (event: string, data: unknown, to: Record<string, unknown>) => api(server, "POST", "/api/emit", { event, data, to });

describe("tickets", () => {
  test("a ticket is issued for a valid client JWT with its lifetime in seconds", async () => {
    const answer = await requestTicket(server.http, await server.token({ sub: "alice" }), { rooms: ["lobby"] });
    expect(answer.status).toBe(200);
    expect(answer.body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(answer.body.expiresIn).toBe(1);
  });

  test("a bad JWT, a missing bearer and an admin token (not a client JWT) are refused with 401 and a JSON error", async () => {
    for (const token of ["not-a-jwt", null, "admin-token-0123456789abcdef"]) {
      const answer = await requestTicket(server.http, token);
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe("unauthorized");
      expect(typeof answer.body.error.message).toBe("string");
    }
    const expired = await requestTicket(server.http, await server.token({ sub: "alice" }, -10));
    expect(expired.status).toBe(401);
  });

  test("a malformed ticket body is refused with 400 naming the field", async () => {
    const token = await server.token({ sub: "alice" });
    const cases: Array<[unknown, string | undefined]> = [
      ["{not json", undefined],
      [{ rooms: "lobby" }, "rooms"],
      [{ rooms: [""] }, "rooms.0"],
      [{ recover: { rooms: { "h-1": -1 } } }, "recover.rooms.h-1"],
      [{ other: 1 }, undefined],
    ];
    for (const [body, field] of cases) {
      const answer = await requestTicket(server.http, token, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toMatch(/^invalid_(json|request)$/);
      if (field) expect(answer.body.error.field).toBe(field);
    }
  });

  test("a reused ticket is refused with 401 and a JSON error", async () => {
    const { body } = await requestTicket(server.http, await server.token({ sub: "alice" }));
    const first = await TestSseStream.open(server.http, body.ticket);
    expect(first).toBeInstanceOf(TestSseStream);
    const second = await TestSseStream.open(server.http, body.ticket);
    expect(second).toBeInstanceOf(Response);
    expect((second as Response).status).toBe(401);
    expect(await (second as Response).json()).toEqual({ error: { code: "invalid_ticket", message: expect.any(String) } });
    (first as TestSseStream).close();
  });

  test("an expired ticket is refused with 401 (the server's ticket lifetime is 400 ms here)", async () => {
    const { body } = await requestTicket(server.http, await server.token({ sub: "alice" }));
    await Bun.sleep(600); // time is the subject: the ticket must outlive its expiry
    const res = (await TestSseStream.open(server.http, body.ticket)) as Response;
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("invalid_ticket");
  });

  test("a missing or malformed ticket is refused with 401", async () => {
    for (const query of ["", "?ticket=", "?ticket=short", `?ticket=${"x".repeat(43)}`]) {
      const res = await fetch(`${server.http}/sse${query}`);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe("invalid_ticket");
    }
  });
});

describe("the stream", () => {
  test("starts with connected (WebSocket data plus denied), then carries REST emits as event/data lines", async () => {
    const sse = await TestSseStream.connect(server.http, await server.token({ sub: "bob" }), { rooms: ["lobby", "secret", "ws:internal"] });
    const connected = sse.events[0]!;
    expect(connected.event).toBe("connected");
    expect(connected.data).toEqual({ id: expect.any(String), userId: "bob", time: expect.any(String), denied: ["ws:internal", "secret"] });
    expect((await emit("news", { text: "hello" }, { room: "lobby" })).body.recipients).toBe(1);
    expect(await sse.next((e) => e.event === "news")).toEqual({ event: "news", data: { text: "hello" }, id: undefined });
    await emit("to-user", { n: 1 }, { user: "bob" });
    await emit("to-all", null, { broadcast: true });
    await sse.next((e) => e.event === "to-all");
    expect(sse.events.map((e) => e.event)).toEqual(["connected", "news", "to-user", "to-all"]);
    sse.close();
  });

  test("frames of a history room carry id <room>:<seq>, and connected reports the join position", async () => {
    const sse = await TestSseStream.connect(server.http, await server.token({ sub: "carol" }), { rooms: ["h-ids"] });
    expect(sse.connected!.data.seq).toEqual({ "h-ids": expect.any(Number) });
    const start = sse.connected!.data.seq["h-ids"];
    await emit("tick", { n: 1 }, { room: "h-ids" });
    await emit("tick", { n: 2 }, { room: "h-ids" });
    await sse.until(() => sse.events.filter((e) => e.event === "tick").length === 2);
    expect(sse.events.filter((e) => e.event === "tick").map((e) => e.id)).toEqual([`h-ids:${start + 1}`, `h-ids:${start + 2}`]);
    sse.close();
  });

  test("reconnecting with Last-Event-ID and a fresh ticket replays the missed history messages before live ones", async () => {
    const token = await server.token({ sub: "dave" });
    const first = await TestSseStream.connect(server.http, token, { rooms: ["h-rec"] });
    await emit("m", { n: 1 }, { room: "h-rec" });
    const seen = await first.next((e) => e.event === "m");
    first.close();
    await emit("m", { n: 2 }, { room: "h-rec" });
    await emit("m", { n: 3 }, { room: "h-rec" });
    const ticket = await requestTicket(server.http, token, { rooms: ["h-rec"] });
    const again = (await TestSseStream.open(server.http, ticket.body.ticket, { "last-event-id": seen.id! })) as TestSseStream;
    await again.next((e) => e.event === "connected");
    await emit("m", { n: 4 }, { room: "h-rec" });
    await again.until(() => again.events.filter((e) => e.event === "m").length === 3);
    expect(again.connected!.data.recovered).toEqual({ "h-rec": true });
    expect(again.events.filter((e) => e.event === "m").map((e) => e.data.n)).toEqual([2, 3, 4]);
    again.close();
  });

  test("positions of several history rooms travel in the ticket body's recover field", async () => {
    const token = await server.token({ sub: "erin" });
    const first = await TestSseStream.connect(server.http, token, { rooms: ["h-a", "h-b"] });
    const at = first.connected!.data.seq as Record<string, number>;
    first.close();
    await emit("a", { n: 1 }, { room: "h-a" });
    await emit("b", { n: 1 }, { room: "h-b" });
    const again = await TestSseStream.connect(server.http, token, { rooms: ["h-a", "h-b"], recover: { rooms: at } });
    await again.until(() => again.events.length >= 3);
    expect(again.connected!.data.recovered).toEqual({ "h-a": true, "h-b": true });
    expect(again.events.slice(1).map((e) => e.event).sort()).toEqual(["a", "b"]);
    again.close();
  });
});

describe("SSE clients count like WebSocket clients", () => {
  test("they appear in /api/clients with transport sse (WebSocket ones with ws), in room counts and in metrics", async () => {
    const ws = await server.client({ sub: "frank" });
    await ws.request("join", { rooms: ["news-count"] });
    const sse = await TestSseStream.connect(server.http, await server.token({ sub: "gina" }), { rooms: ["news-count"] });
    const id = sse.connected!.data.id;
    const clients = await api(server, "GET", "/api/clients?room=news-count");
    expect(clients.body.items.map((c: any) => [c.userId, c.transport]).sort()).toEqual([["frank", "ws"], ["gina", "sse"]]);
    expect((await api(server, "GET", `/api/clients/${id}`)).body.transport).toBe("sse");
    expect((await api(server, "GET", "/api/rooms/news-count")).body.size).toBe(2);
    const metrics = await fetch(`${server.http}/metrics`, { headers: { authorization: "Bearer admin-token-0123456789abcdef" } }).then((r) => r.text());
    expect(metrics).toMatch(/switchboard_sse_connections\{[^}]*\} [1-9]/);
    expect((await emit("count", {}, { room: "news-count" })).body.recipients).toBe(2);
    ws.close();
    sse.close();
  });

  test("an operator DELETE /api/clients/:id ends the stream with disconnect 4007", async () => {
    const sse = await TestSseStream.connect(server.http, await server.token({ sub: "hal" }));
    const id = sse.connected!.data.id;
    expect((await api(server, "DELETE", `/api/clients/${id}`)).status).toBe(200);
    await sse.end();
    expect(sse.events.at(-1)).toEqual({ event: "disconnect", data: { code: 4007, reason: "Disconnected by server" }, id: undefined });
    expect((await api(server, "GET", `/api/clients/${id}`)).status).toBe(404);
  });

  test("a client that closes its stream is removed from the registry", async () => {
    const sse = await TestSseStream.connect(server.http, await server.token({ sub: "ivy" }));
    const id = sse.connected!.data.id;
    sse.close();
    for (let i = 0; i < 100 && (await api(server, "GET", `/api/clients/${id}`)).status !== 404; i++) await Bun.sleep(20);
    expect((await api(server, "GET", `/api/clients/${id}`)).status).toBe(404);
  });
});

test("an Origin outside ALLOWED_ORIGINS is refused with 403", async () => {
  const other = await startServer({ allowedOrigins: ["https://app.example"] });
  try {
    const { body } = await requestTicket(other.http, await other.token());
    const res = (await TestSseStream.open(other.http, body.ticket, { origin: "https://evil.example" })) as Response;
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("forbidden");
  } finally {
    await other.stop();
  }
});

test("SSE=off mounts nothing at SSE_PATH; a custom SSE_PATH is served", async () => {
  const off = await startServer({ sse: "off" });
  const custom = await startServer({ ssePath: "/events" });
  try {
    expect((await requestTicket(off.http, await off.token())).status).toBe(404);
    const { status, body } = await requestTicket(custom.http, await custom.token(), undefined, "/events");
    expect(status).toBe(200);
    const sse = (await TestSseStream.open(custom.http, body.ticket, {}, "/events")) as TestSseStream;
    await sse.next((e) => e.event === "connected");
    sse.close();
  } finally {
    await off.stop();
    await custom.stop();
  }
});

test("shutdown ends the stream cleanly: disconnect 1001, then the end of the response", async () => {
  const own = await startServer();
  const sse = await TestSseStream.connect(own.http, await own.token({ sub: "jo" }));
  await own.stop();
  await sse.end();
  expect(sse.events.at(-1)).toEqual({ event: "disconnect", data: { code: 1001, reason: "Server shutting down" }, id: undefined });
});

test("with ENCRYPTION=required the plaintext stream is refused with 403 encryption_required", async () => {
  const strict = await startServer({ encryption: "required" });
  try {
    const { body } = await requestTicket(strict.http, await strict.token());
    const res = (await TestSseStream.open(strict.http, body.ticket)) as Response;
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("encryption_required");
  } finally {
    await strict.stop();
  }
});
