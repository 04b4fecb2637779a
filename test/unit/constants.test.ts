/** The Ignis constants under their names and values (ignis §10.1-10.5) and the close-code table. */
import { describe, expect, test } from "bun:test";
import { WebSocketChannels, WebSocketClientStates, WebSocketDefaults, WebSocketEvents, WebSocketMessageTypes } from "../../shared/constants.ts";
import { CloseCodes, describeCloseCode, ErrorMessages } from "../../shared/close-codes.ts";

describe("WebSocketEvents", () => {
  test("system event names are the plain Ignis names", () => {
    expect([WebSocketEvents.AUTHENTICATE, WebSocketEvents.CONNECTED, WebSocketEvents.DISCONNECT, WebSocketEvents.JOIN, WebSocketEvents.LEAVE, WebSocketEvents.ERROR]).toEqual(["authenticate", "connected", "disconnect", "join", "leave", "error"]);
    expect(WebSocketEvents.HEARTBEAT).toBe("heartbeat");
    for (const name of WebSocketEvents.SCHEME_SET) expect(name.includes("__")).toBe(false);
  });

  test("SCHEME_SET holds all 8 events and isValid is exact", () => {
    expect(WebSocketEvents.SCHEME_SET.size).toBe(8);
    expect(WebSocketEvents.SCHEME_SET.has("encrypted")).toBe(true);
    for (const e of ["authenticate", "connected", "disconnect", "join", "leave", "error", "heartbeat", "encrypted"]) expect(WebSocketEvents.isValid(e)).toBe(true);
    for (const e of ["invalid", "", "ping", "custom-event", "ERROR"]) expect(WebSocketEvents.isValid(e)).toBe(false);
  });
});

describe("WebSocketChannels", () => {
  test("channel constants, builders and patterns", () => {
    expect(WebSocketChannels.BROADCAST).toBe("ws:broadcast");
    expect([WebSocketChannels.ROOM_PREFIX, WebSocketChannels.CLIENT_PREFIX, WebSocketChannels.USER_PREFIX]).toEqual(["ws:room:", "ws:client:", "ws:user:"]);
    expect(WebSocketChannels.BROADCAST.endsWith(":")).toBe(false);
    expect(WebSocketChannels.forClient({ clientId: "c1" })).toBe("ws:client:c1");
    expect(WebSocketChannels.forUser({ userId: "u1" })).toBe("ws:user:u1");
    expect(WebSocketChannels.forRoom({ room: "lobby" })).toBe("ws:room:lobby");
    expect([WebSocketChannels.forClientPattern(), WebSocketChannels.forUserPattern(), WebSocketChannels.forRoomPattern()]).toEqual(["ws:client:*", "ws:user:*", "ws:room:*"]);
  });
});

describe("WebSocketDefaults", () => {
  test("defaults keep the Ignis values", () => {
    expect(WebSocketDefaults).toMatchObject({
      PATH: "/ws", ROOM: "ws-default", NOTIFICATION_ROOM: "ws-notification", BROADCAST_TOPIC: "ws:internal:broadcast",
      MAX_PAYLOAD_LENGTH: 131072, IDLE_TIMEOUT: 60, BACKPRESSURE_LIMIT: 1048576, SEND_PINGS: true, PUBLISH_TO_SELF: false,
      AUTH_TIMEOUT: 5000, HEARTBEAT_INTERVAL: 30000, HEARTBEAT_TIMEOUT: 90000, ENCRYPTED_BATCH_LIMIT: 10,
    });
  });
});

describe("WebSocketMessageTypes and WebSocketClientStates", () => {
  test("message types are client, user, room, broadcast, validated case-sensitively", () => {
    expect([...WebSocketMessageTypes.SCHEME_SET]).toEqual(["client", "user", "room", "broadcast"]);
    for (const t of ["invalid", "", "CLIENT", "server"]) expect(WebSocketMessageTypes.isValid(t)).toBe(false);
  });

  test("client states are unauthorized, authenticating, authenticated, disconnected", () => {
    expect([...WebSocketClientStates.SCHEME_SET]).toEqual(["unauthorized", "authenticating", "authenticated", "disconnected"]);
    for (const s of ["invalid", "", "AUTHENTICATED", "pending", "active", "closed"]) expect(WebSocketClientStates.isValid(s)).toBe(false);
  });
});

describe("close codes", () => {
  test("one table holds every code with its reason and reconnect advice", () => {
    const table = Object.values(CloseCodes).map((c) => [c.code, c.reason, c.reconnect]);
    expect(table).toContainEqual([1001, "Server shutting down", true]);
    expect(table).toContainEqual([4003, "Authentication failed", false]);
    expect(table).toContainEqual([4004, "Encryption required", false]);
    expect(table).toContainEqual([4008, "Too many connections", false]);
    for (const code of [4001, 4002, 4005, 4006, 4007, 4009]) expect(describeCloseCode(code).reconnect).toBe(true);
    expect(describeCloseCode(1000).reconnect).toBe(false);
    expect(ErrorMessages.INVALID_FORMAT).toBe("Invalid message format");
  });
});
