/**
 * @module bench/lib/protocols
 * How a load-generator connection talks to each server under test, from the upgrade to "ready"
 * (authenticated and, when asked, in the bench room), and how it recognises the frames that a
 * scenario measures. The byte-level work is in `wsproto.ts`; this file is only the dialogues:
 *
 * - `switchboard`: `authenticate {token}` → `connected`, then `join` with an id → `ack`.
 * - `ignis`: the same authentication; Ignis acknowledges no join, so a join counts as done once
 *   sent and the orchestrator checks the room's size on the server instead.
 * - `bare`: the bare Bun servers take `join` with an id (subscribe + ack) and no authentication.
 * - `socketio`: Engine.IO v4 over the WebSocket transport, the CONNECT packet carries the token,
 *   `join` is an acknowledged event (`421[...]` → `431[...]`), pings (`2`) are answered (`3`).
 */

export type ProtocolName = "switchboard" | "ignis" | "bare" | "socketio";

const encoder = new TextEncoder();

export interface DialogueConn {
  token?: string;
  room?: string;
  sendText(text: string): void;
  /** Marks the connection ready (setup finished). */
  ready(): void;
  fail(reason: string): void;
}

export interface Protocol {
  readonly name: ProtocolName;
  readonly path: string;
  /** Sent right after the upgrade. */
  start(c: DialogueConn): void;
  /** A text frame before the connection is ready. */
  setupFrame(c: DialogueConn, text: string): void;
  /** Handles protocol keep-alives after setup; true when the frame was one. */
  keepalive(c: DialogueConn, payload: Uint8Array): boolean;
  /** Prefix of a server frame carrying an application event `event`. */
  eventPrefix(event: string): Uint8Array;
  /** A heartbeat that the server answers, and the prefix of its answer. */
  heartbeat(id: string): string;
  readonly heartbeatReply: Uint8Array;
}

function ignisDialogue(name: "switchboard" | "ignis" | "bare"): Protocol {
  const joinFrame = (room: string) => JSON.stringify({ event: "join", data: { rooms: [room] }, id: "j" });
  const join = (c: DialogueConn) => {
    if (!c.room) return c.ready();
    c.sendText(joinFrame(c.room));
    if (name === "ignis") c.ready();
  };
  return {
    name,
    path: "/ws",
    start(c) {
      if (name === "bare") return join(c);
      c.sendText(JSON.stringify({ event: "authenticate", data: { token: c.token } }));
    },
    setupFrame(c, text) {
      if (text.startsWith('{"event":"connected"')) return join(c);
      if (text.startsWith('{"event":"ack"')) return text.includes('"ok":true') ? c.ready() : c.fail(text.slice(0, 200));
      if (text.startsWith('{"event":"error"')) c.fail(text.slice(0, 200));
    },
    keepalive: () => false,
    eventPrefix: (event) => encoder.encode(`{"event":${JSON.stringify(event)}`),
    heartbeat: (id) => JSON.stringify({ event: "heartbeat", id }),
    heartbeatReply: encoder.encode('{"event":"heartbeat"'),
  };
}

const PING = 0x32; // "2"

const socketio: Protocol = {
  name: "socketio",
  path: "/socket.io/?EIO=4&transport=websocket",
  start() {
    // The server speaks first (Engine.IO OPEN packet).
  },
  setupFrame(c, text) {
    if (text.startsWith("0{")) return c.sendText(`40${JSON.stringify({ token: c.token })}`);
    if (text === "2") return c.sendText("3");
    if (text.startsWith("40")) {
      if (!c.room) return c.ready();
      return c.sendText(`421${JSON.stringify(["join", { rooms: [c.room] }])}`);
    }
    if (text.startsWith("431")) return c.ready();
    if (text.startsWith("44")) c.fail(text.slice(0, 200));
  },
  keepalive(c, payload) {
    if (payload.length !== 1 || payload[0] !== PING) return false;
    c.sendText("3");
    return true;
  },
  eventPrefix: (event) => encoder.encode(`42[${JSON.stringify(event)}`),
  heartbeat: (id) => `42${JSON.stringify(["heartbeat", { id }])}`,
  heartbeatReply: encoder.encode('42["heartbeat"'),
};

const PROTOCOLS: Record<ProtocolName, Protocol> = {
  switchboard: ignisDialogue("switchboard"),
  ignis: ignisDialogue("ignis"),
  bare: ignisDialogue("bare"),
  socketio,
};

export function protocol(name: ProtocolName): Protocol {
  return PROTOCOLS[name];
}

/** Whether connections of this protocol authenticate with a JWT. */
export function needsToken(name: ProtocolName): boolean {
  return name !== "bare";
}
