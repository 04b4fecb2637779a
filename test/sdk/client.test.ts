/**
 * The SDK against a real server: authentication, rooms with acks, custom requests, heartbeats
 * with round-trip time, typed handlers and a clean close (SPEC §6 client SDK paragraph).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createClient, SwitchboardError, type SwitchboardClient } from "../../shared/client/index.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { Recorder, staysFalse, waitFor } from "./helpers.ts";

interface ChatEvents {
  "chat:message": { text: string; from: string };
}

let server: TestServer;
const clients: SwitchboardClient<any>[] = [];

function client(options: Partial<Parameters<typeof createClient>[0]> = {}): SwitchboardClient<ChatEvents> {
  const c = createClient<ChatEvents>({ url: server.ws, token: () => server.token({ sub: "alice" }), reconnect: { minDelayMs: 20, maxDelayMs: 200 }, ...options });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  server = await startServer({
    allowedRooms: ["chat-*"],
    onMessage: ({ userId, message }) => {
      if (message.event === "echo") return { echoed: message.data, userId };
      throw new Error("nope");
    },
  });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(() => server.stop());

describe("SDK session", () => {
  test("connects, authenticates and reports its client id and user", async () => {
    const c = client();
    const connected = await c.connect();
    expect(c.state).toBe("connected");
    expect(connected.userId).toBe("alice");
    expect(c.id).toBe(connected.id);
    expect(server.sb.getClient(connected.id)?.userId).toBe("alice");
  });

  test("join and leave resolve from the server's acks, with denied rooms reported", async () => {
    const c = client();
    const joined = await c.join(["chat-a", "secret"]);
    expect(joined).toEqual({ joined: ["chat-a"], denied: ["secret"] });
    expect(c.rooms).toEqual(["chat-a"]);
    expect(server.sb.getClient(c.id!)?.rooms).toContain("chat-a");
    expect(await c.leave("chat-a")).toEqual({ left: ["chat-a"] });
    expect(c.rooms).toEqual([]);
  });

  test("typed handlers receive room messages; off() stops them", async () => {
    const c = client();
    await c.join("chat-b");
    const got: string[] = [];
    const handler = (m: { text: string }) => got.push(m.text);
    c.on("chat:message", handler);
    await server.sb.toRoom("chat-b", "chat:message", { text: "one", from: "x" });
    await waitFor(() => got.length === 1, 2000, "first message");
    c.off("chat:message", handler);
    await server.sb.toRoom("chat-b", "chat:message", { text: "two", from: "x" });
    const rec = new Recorder(c);
    await server.sb.toRoom("chat-b", "chat:message", { text: "three", from: "x" });
    await rec.waitForFrame("chat:message", (d) => d.text === "three");
    expect(got).toEqual(["one"]);
  });

  test("request resolves with what onMessage returned and rejects with the server's error code", async () => {
    const c = client();
    expect(await c.request("echo", { n: 1 })).toEqual({ echoed: { n: 1 }, userId: "alice" });
    const err = (await c.request("other").catch((e: unknown) => e)) as SwitchboardError;
    expect(err).toBeInstanceOf(SwitchboardError);
    expect(err.code).toBe("handler_error");
  });

  test("a request made before the connection is up waits for it", async () => {
    const c = client({ autoConnect: false });
    const pending = c.request("echo", "early");
    expect(c.state).toBe("idle");
    void c.connect();
    expect(await pending).toEqual({ echoed: "early", userId: "alice" });
  });

  test("heartbeats measure the round-trip time", async () => {
    const c = client({ heartbeatMs: 50 });
    await c.connect();
    await waitFor(() => c.rtt !== undefined, 2000, "rtt");
    expect(c.rtt!).toBeGreaterThanOrEqual(0);
    expect(c.rtt!).toBeLessThan(1000);
  });

  test("close() ends the session with 1000 and nothing reconnects afterwards", async () => {
    const c = client();
    const rec = new Recorder(c);
    const { id } = await c.connect();
    c.close();
    expect(c.state).toBe("closed");
    expect(rec.closes.at(-1)).toMatchObject({ code: 1000, willReconnect: false });
    await waitFor(() => server.sb.getClient(id) === undefined, 2000, "server to drop the client");
    await staysFalse(() => rec.count("connecting") > 1, 300, "a reconnect after close()");
    await expect(c.request("echo", 1)).rejects.toMatchObject({ code: "closed" });
  });

  test("a pending request rejects 'disconnected' when the server kicks the client", async () => {
    const slow = await startServer({ onMessage: () => new Promise(() => undefined) });
    try {
      const c = createClient({ url: slow.ws, token: () => slow.token(), reconnect: { minDelayMs: 10, maxDelayMs: 20 } });
      clients.push(c);
      const { id } = await c.connect();
      const pending = c.request("never");
      await waitFor(() => slow.sb.getClient(id)?.state === "authenticated", 2000, "authenticated");
      slow.sb.disconnect(id);
      await expect(pending).rejects.toMatchObject({ code: "disconnected" });
    } finally {
      await slow.stop();
    }
  });
});
