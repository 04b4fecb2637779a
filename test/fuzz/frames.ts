/**
 * Hostile protocol frames and the documented answer to each (SPEC §3.2 item 3, §3.3, §3.4).
 *
 * `expectFor(text, authenticated)` is the oracle: what a client must receive for one frame —
 * `error` messages (`Invalid message format`, `Invalid rooms`, `Not authenticated`,
 * `Already authenticated`), an `ack` with `ok` and a code when the frame carried a string `id`,
 * a heartbeat reply. Generators build frames with wrong types in every field of every system
 * event, mutated valid frames, garbage text, binary frames, deep nesting, huge arrays and
 * prototype-pollution keys.
 */
import type { Rng } from "./prng.ts";

export interface Expect {
  /** `error` frames, by message, in order. */
  errors: string[];
  /** The ack for the frame's `id`. */
  ack?: { id: string; ok: boolean; code?: string };
  /** The id of a heartbeat reply. */
  heartbeat?: string;
}

const FORMAT: Expect = { errors: ["Invalid message format"] };
const SYSTEM_EVENTS = ["authenticate", "join", "leave", "refresh", "heartbeat", "encrypted", "connected", "error", "disconnect", "ack"];

/** What the server does with a text frame (binary frames: decode them to text first). */
export function expectFor(text: string, authenticated: boolean): Expect {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return FORMAT;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return FORMAT;
  const frame = value as Record<string, unknown>;
  if (typeof frame.event !== "string" || frame.event.length === 0) return FORMAT;
  const id = typeof frame.id === "string" ? frame.id : undefined;
  const nack = (code: string) => (id === undefined ? {} : { ack: { id, ok: false, code } });
  const event = frame.event;
  if (event === "heartbeat") return authenticated && id !== undefined ? { errors: [], heartbeat: id } : { errors: [] };
  if (event === "authenticate") return authenticated ? { errors: ["Already authenticated"], ...nack("already_authenticated") } : { errors: [] };
  if (!authenticated) return { errors: ["Not authenticated"], ...nack("not_authenticated") };
  if (event === "join" || event === "leave") {
    const rooms = (frame.data as { rooms?: unknown } | null | undefined)?.rooms;
    if (!Array.isArray(rooms) || !rooms.every((r) => typeof r === "string")) return { errors: ["Invalid rooms"], ...nack("invalid_rooms") };
    return { errors: [], ...(id === undefined ? {} : { ack: { id, ok: true } }) };
  }
  if (event === "refresh") return { errors: [], ...nack("refresh_rejected") };
  return { errors: [], ...nack("no_handler") };
}

/** What a binary frame becomes on the server: its bytes decoded as UTF-8, invalid bytes replaced. */
export function binaryAsText(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** What a text frame becomes on the wire: lone surrogates are sent as U+FFFD. */
export function wireText(text: string): string {
  return new TextDecoder().decode(new TextEncoder().encode(text));
}

/** A JSON value of a random type, sometimes nested, sometimes hostile. */
export function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 7 : 10)) {
    case 0: return null;
    case 1: return rng.bool();
    case 2: return rng.pick([0, -1, 1e308, -0, 2 ** 53 + 1, 3.14, 1e-320]);
    case 3: return rng.string(rng.int(12));
    case 4: return rng.anyText(rng.int(20));
    case 5: return rng.pick(["", " ", "__proto__", "constructor", "prototype", "ws:broadcast", "ws:room:x", "x".repeat(300)]);
    case 6: return rng.pick(SYSTEM_EVENTS);
    case 7: return Array.from({ length: rng.int(5) }, () => randomValue(rng, depth + 1));
    case 8: return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick(["rooms", "token", "publicKey", "id", "__proto__", "constructor", rng.string(4)]), randomValue(rng, depth + 1)]));
    default: return { rooms: randomValue(rng, depth + 1), token: randomValue(rng, depth + 1) };
  }
}

/** A frame shaped like a system event with a random (often wrong) type in each field. */
export function wrongTypesFrame(rng: Rng, events = SYSTEM_EVENTS): string {
  const frame: Record<string, unknown> = {};
  frame.event = rng.bool(0.85) ? rng.pick(events) : randomValue(rng);
  if (rng.bool(0.8)) frame.data = rng.bool(0.5) ? randomValue(rng) : { rooms: randomValue(rng), token: randomValue(rng), publicKey: randomValue(rng) };
  if (rng.bool(0.6)) frame.id = rng.bool(0.7) ? `id-${rng.string(6)}` : randomValue(rng);
  if (rng.bool(0.1)) frame[rng.pick(["__proto__", "constructor", "prototype"])] = { event: "join", polluted: true };
  return JSON.stringify(frame);
}

const VALID = [
  '{"event":"join","data":{"rooms":["fz-a","fz-b"]},"id":"v1"}',
  '{"event":"leave","data":{"rooms":["fz-a"]},"id":"v2"}',
  '{"event":"heartbeat","id":"v3"}',
  '{"event":"refresh","data":{"token":"abc"},"id":"v4"}',
  '{"event":"chat","data":{"text":"hi"},"id":"v5"}',
  '{"event":"encrypted","data":{"iv":"AAAA","ct":"BBBB"},"id":"v6"}',
];

/** A valid frame with a few byte-level mutations (flip, delete, insert, duplicate, truncate). */
export function mutatedFrame(rng: Rng): string {
  let text = rng.pick(VALID);
  for (let n = rng.range(1, 4); n > 0; n--) {
    const at = rng.int(text.length + 1);
    switch (rng.int(5)) {
      case 0: text = text.slice(0, at) + String.fromCharCode(rng.int(128)) + text.slice(at + 1); break;
      case 1: text = text.slice(0, at) + text.slice(at + 1); break;
      case 2: text = text.slice(0, at) + rng.pick(['"', "{", "}", "[", "]", ",", ":", "\\", "\u0000", "\ud800", "null"]) + text.slice(at); break;
      case 3: text = text.slice(0, at) + text.slice(at, at + rng.int(10)) + text.slice(at); break;
      default: text = text.slice(0, at);
    }
  }
  return text;
}

/** JSON nested `depth` levels deep inside a frame's data (still under the payload limit). */
export function deepFrame(rng: Rng, maxBytes: number): string {
  const depth = rng.range(1, Math.floor((maxBytes - 64) / 2));
  const [open, close] = rng.bool() ? ["[", "]"] : ['{"a":', "}"];
  const inner = rng.bool() ? `${open.repeat(depth)}1${close.repeat(depth)}` : `${open.repeat(depth)}1`;
  return rng.bool() ? `{"event":"${rng.pick(["join", "chat", "leave"])}","data":${inner}}`.slice(0, maxBytes - 8) : inner.slice(0, maxBytes - 8);
}

/** `join`/`leave` with a huge `rooms` array (strings or not) under the payload limit. */
export function hugeArrayFrame(rng: Rng, maxBytes: number): string {
  const n = Math.floor(maxBytes / 12);
  const element = rng.pick([() => `fz-${rng.string(4)}`, () => rng.int(1000), () => null, () => ({})]);
  const rooms = Array.from({ length: n }, element);
  if (rng.bool(0.3)) rooms[rng.int(n)] = 7;
  return JSON.stringify({ event: rng.pick(["join", "leave"]), data: { rooms }, ...(rng.bool() ? { id: `big-${rng.string(4)}` } : {}) });
}

/** Prototype-pollution attempts in the envelope, in data, and as room names. */
export const POLLUTION_FRAMES = [
  '{"__proto__":{"event":"join","polluted":true},"event":"heartbeat","id":"p1"}',
  '{"event":"join","data":{"__proto__":{"rooms":["fz-x"]}},"id":"p2"}',
  '{"event":"join","data":{"rooms":["__proto__","constructor","prototype","hasOwnProperty","toString"]},"id":"p3"}',
  '{"event":"leave","data":{"rooms":["__proto__","constructor"]},"id":"p4"}',
  '{"constructor":{"prototype":{"polluted":true}},"event":"chat","id":"p5"}',
  '{"event":"refresh","data":{"__proto__":{"token":"x"}},"id":"p6"}',
  '{"event":"__proto__","data":{"polluted":true},"id":"p7"}',
  '{"event":"constructor","id":"p8"}',
];
