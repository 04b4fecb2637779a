/**
 * Protocol fuzzing against a real server (SPEC §11, issue 9): random, mutated, binary, deep,
 * huge and prototype-polluting frames from authenticated and unauthenticated sockets. Each input
 * gets its documented answer (checked against the oracle in frames.ts), the server never throws,
 * and a sentinel client in a room with a steady stream receives every message, in order.
 * Seeded: a failure prints the seed; `FUZZ_SEED=<seed>` replays it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TestServer } from "../helpers/server.ts";
import type { Sentinel } from "../helpers/sentinel.ts";
import { startFuzzServer } from "./fixture.ts";
import { RawWebSocket, encodeFrame } from "../helpers/raw-ws.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";
import { binaryAsText, deepFrame, expectFor, hugeArrayFrame, mutatedFrame, POLLUTION_FRAMES, wireText, wrongTypesFrame } from "./frames.ts";
import { fuzz, type Rng } from "./prng.ts";
import { Probe } from "./probe.ts";

const MAX_PAYLOAD = 16 * 1024;
/** Each fuzz loop stops at its case count or after this long, whichever comes first (a loaded machine). */
const BUDGET_MS = 3000;

let s: TestServer;
let sentinel: Sentinel;

beforeAll(async () => {
  ({ server: s, sentinel } = await startFuzzServer(MAX_PAYLOAD));
});

afterAll(() => s?.stop());

/** One text input of any kind, as the server will see it (lone surrogates travel as U+FFFD). */
function textInput(rng: Rng): string {
  const kind = rng.int(10);
  if (kind < 4) return wireText(wrongTypesFrame(rng));
  if (kind < 7) return wireText(mutatedFrame(rng));
  if (kind < 8) return wireText(rng.anyText(rng.int(200)));
  if (kind < 9) return deepFrame(rng, MAX_PAYLOAD);
  return hugeArrayFrame(rng, MAX_PAYLOAD);
}

async function loop(cases: number, body: (i: number) => Promise<void>): Promise<number> {
  const deadline = Date.now() + BUDGET_MS;
  let i = 0;
  for (; i < cases && Date.now() < deadline; i++) await body(i);
  return i;
}

const isAuthenticate = (text: string) => expectFor(text, true).errors[0] === "Already authenticated";

describe("protocol fuzz", () => {
  test("random and mutated text frames from an authenticated client each get their documented answer", () =>
    fuzz("authenticated text", async (rng) => {
      const probe = await Probe.open(s.ws, await s.token({ sub: "fuzzer" }));
      const done = await loop(600, (i) => {
        const text = textInput(rng);
        return probe.check(text, expectFor(text, true), `case ${i}`);
      });
      expect(done).toBeGreaterThan(50);
      probe.close();
    }), 15_000);

  test("before authentication every frame but authenticate and heartbeat gets Not authenticated, and nothing else is sent", () =>
    fuzz("unauthenticated text", async (rng) => {
      let probe = await Probe.open(s.ws);
      const done = await loop(400, async (i) => {
        const text = textInput(rng);
        if (!isAuthenticate(text)) return probe.check(text, expectFor(text, false), `case ${i}`);
        // An authenticate with a wrong token (any shape) is refused and closes 4003.
        probe.client.sendRaw(text);
        expect(await probe.client.waitClosed(), text).toEqual({ code: 4003, reason: "Authentication failed" });
        expect(probe.client.frames.map((f) => f.event)).not.toContain("connected");
        probe = await Probe.open(s.ws);
      });
      expect(done).toBeGreaterThan(50);
      probe.close();
    }), 15_000);

  test("binary frames are read as UTF-8 text (invalid bytes replaced) and answered like text", () =>
    fuzz("binary", async (rng) => {
      const probe = await Probe.open(s.ws, await s.token({ sub: "fuzzer" }));
      await loop(300, (i) => {
        const bytes = rng.bool(0.5) ? new TextEncoder().encode(textInput(rng)) : rng.bytes(rng.int(300));
        if (rng.bool(0.3) && bytes.length > 0) bytes[rng.int(bytes.length)] = rng.pick([0xff, 0xc0, 0x80, 0xed]);
        return probe.check(bytes, expectFor(binaryAsText(bytes), true), `binary ${i}`);
      });
      probe.close();
    }), 15_000);

  test("prototype-pollution keys in the envelope, in data and as room names change nothing global", async () => {
    const probe = await Probe.open(s.ws, await s.token({ sub: "fuzzer" }));
    for (const text of POLLUTION_FRAMES) await probe.check(text, expectFor(text, true), "pollution");
    const polluted = ({} as Record<string, unknown>).polluted;
    expect(polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    // `__proto__` as a room is an ordinary room: joined, addressed, left.
    expect((await probe.client.request("join", { rooms: ["__proto__"] })).result.joined).toEqual(["__proto__"]);
    expect(s.sb["hub"]["registry"].membersOf("__proto__")?.has(probe.client.id)).toBe(true);
    await s.sb.toRoom("__proto__", "proto-room", { ok: true });
    expect((await probe.client.waitForEvent("proto-room")).data).toEqual({ ok: true });
    expect((await probe.client.request("leave", { rooms: ["__proto__"] })).result.left).toEqual(["__proto__"]);
    probe.close();
  });

  test("a token hidden under __proto__ or constructor does not authenticate", async () => {
    const token = await s.token({ sub: "smuggled" });
    for (const data of [`{"__proto__":{"token":"${token}"}}`, `{"constructor":{"prototype":{"token":"${token}"}}}`, `{"token":{"toString":"${token}"}}`]) {
      const c = await TestClient.connect(s.ws);
      c.sendRaw(`{"event":"authenticate","data":${data}}`);
      expect(await c.waitClosed()).toEqual({ code: 4003, reason: "Authentication failed" });
    }
  });

  test("authenticate with a garbage encryption key closes 4004 after Encryption handshake failed", () =>
    fuzz("publicKey", async (rng) => {
      const token = await s.token({ sub: "keyfuzz" });
      for (let i = 0; i < 6; i++) {
        const c = await TestClient.connect(s.ws);
        const publicKey = rng.pick([rng.string(rng.int(120)), rng.int(1e6), [1, 2], { x: 1 }, true, "A".repeat(88), "BAAA" + "A".repeat(84)]);
        c.send({ event: "authenticate", data: { token, publicKey } });
        expect((await c.waitClosed()).code, JSON.stringify(publicKey)).toBe(4004);
        expect(c.frames.map((f) => f.data?.message)).toEqual(["Encryption handshake failed"]);
      }
    }));
});

/** Frames only a raw socket can send, and the close code the runtime answers each with. */
const VIOLATIONS: Array<{ name: string; code: number; send: (w: RawWebSocket, rng: Rng) => void }> = [
  { name: "text frame with invalid UTF-8", code: 1007, send: (w, rng) => w.sendText(new Uint8Array([0x7b, rng.pick([0xff, 0xc0, 0xed, 0xf8]), 0xa0, 0x7d])) },
  { name: "unmasked client frame", code: 1002, send: (w) => w.sendText('{"event":"heartbeat"}', { masked: false }) },
  { name: "reserved opcode", code: 1002, send: (w, rng) => w.write(encodeFrame(rng.pick([3, 4, 5, 6, 7, 11, 12, 15]), Buffer.from("x"))) },
  { name: "reserved bits set", code: 1002, send: (w, rng) => w.sendText("{}", { rsv: rng.range(1, 7) }) },
  { name: "length header far beyond MAX_PAYLOAD_BYTES", code: 1009, send: (w, rng) => w.sendText("{}", { declaredLength: 2 ** rng.range(20, 50) }) },
  { name: "new message inside a fragmented one", code: 1002, send: (w) => (w.sendText('{"event":', { fin: false }), w.sendText("{}")) },
  { name: "continuation outside a fragmented message", code: 1002, send: (w) => w.write(encodeFrame(0, Buffer.from("x"))) },
  { name: "control frame over 125 bytes", code: 1002, send: (w) => w.write(encodeFrame(9, Buffer.alloc(200))) },
  { name: "close frame with an invalid code", code: 1002, send: (w, rng) => w.write(encodeFrame(8, Buffer.from([0x03, rng.pick([0xe7, 0xec, 0xed])]))) },
];

describe("wire-level violations", () => {
  test("protocol violations get the RFC 6455 close codes (1007 invalid UTF-8, 1002 framing, 1009 size) on client and admin paths", () =>
    fuzz("violations", async (rng) => {
      for (const v of VIOLATIONS) {
        const w = await RawWebSocket.open(s.port, rng.bool(0.8) ? "/ws" : "/admin/ws");
        v.send(w, rng);
        expect(await w.closed(), v.name).toBe(v.code);
        w.destroy();
      }
    }));

  test("a fragmented frame is reassembled and answered like any other", async () => {
    const w = await RawWebSocket.open(s.port, "/ws");
    w.sendText('{"event":', { fin: false });
    w.write(encodeFrame(0, Buffer.from('"nope"'), { fin: false }));
    w.write(encodeFrame(0, Buffer.from(",\"id\":\"frag\"}")));
    await waitUntil(() => w.texts().length >= 2, 3000, "the answer to the fragmented frame");
    expect(w.texts()).toEqual([{ event: "error", data: { message: "Not authenticated" } }, { event: "ack", data: { id: "frag", ok: false, error: { code: "not_authenticated", message: "Not authenticated" } } }]);
    w.destroy();
  });

  test("oversize frames close 1009 and nothing else is affected", () =>
    fuzz("oversize", async (rng) => {
      for (let i = 0; i < 4; i++) {
        const c = rng.bool() ? await s.client({ sub: "big" }) : await TestClient.connect(s.ws);
        const size = MAX_PAYLOAD + 1 + rng.int(4 * MAX_PAYLOAD);
        c.sendRaw(rng.bool() ? "x".repeat(size) : new Uint8Array(size));
        expect((await c.waitClosed()).code).toBe(1009);
      }
    }));
});

describe("floods", () => {
  test("junk floods from many sockets at once are each answered in full while the sentinel's stream goes on", () =>
    fuzz("flood", async (rng) => {
      const token = await s.token({ sub: "flooder" });
      const flooders = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? TestClient.connect(s.ws) : TestClient.authenticated(s.ws, token))));
      const junk = Array.from({ length: 20 }, () => wireText(rng.anyText(rng.range(1, 40))).replace(/^[[{]/, "x"));
      const perSocket = 400;
      for (let i = 0; i < perSocket; i++) for (const c of flooders) c.sendRaw(rng.pick(junk));
      for (const c of flooders) {
        await waitUntil(() => c.frames.filter((f) => f.event === "error").length >= perSocket, 10_000, "every junk frame answered");
        expect(c.frames.filter((f) => f.event === "error").every((f) => f.data.message === "Invalid message format")).toBe(true);
        c.close();
      }
    }), 20_000);
});

describe("after the fuzzing", () => {
  test("the sentinel received every message of its stream, once and in order, on the same socket", async () => {
    expect(sentinel.ticksSent).toBeGreaterThan(20);
    await sentinel.stopAndCheck();
  });

  test("every attacking socket is gone from the server's tables", async () => {
    await waitUntil(() => s.sb["hub"].counts().connections === 1, 5000, "only the sentinel left");
    expect(s.sb["hub"].counts().authenticated).toBe(1);
    expect(s.sb["hub"]["registry"].size).toBe(1);
    expect([...s.sb["hub"]["registry"].roomSizes()].map(([room]) => room).sort()).toEqual(["stream", "ws-default", "ws-notification"]);
  });
});
