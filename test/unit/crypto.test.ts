/**
 * Unit tests of the encryption building blocks: shared/crypto (client module), the built-in ECDH
 * codec, the custom-hook codec and the ordered encoder's concurrency bound. The wire format is
 * cross-checked against node:crypto, an implementation independent of the code under test.
 */
import { describe, expect, test } from "bun:test";
import { createCipheriv, createDecipheriv, createECDH, hkdfSync } from "node:crypto";
import { OrderedEncoder, type EncodingTarget } from "../../server/core/ordered-encoder.ts";
import { silentLogger, type HandshakeResult, type SessionCodec } from "../../server/core/types.ts";
import { customCodecFactory } from "../../server/encryption/custom.ts";
import { createEcdhSession, ecdhCodecFactory } from "../../server/encryption/ecdh.ts";
import type { ClientRecord } from "../../server/core/registry.ts";
import type { OutboundFrame } from "../../shared/protocol.ts";
import { createClientKeys, deriveSession, Direction, FrameCipher, fromBase64, RANDOM_IV_MEMORY, toBase64 } from "../../shared/crypto.ts";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
/** Written out here (not imported) so that the cross-check pins the SPEC §5 value. */
const SPEC_HKDF_INFO = "ignis-ecdh-p256-aes-256-gcm-v1";

/** A handshake plus the client session derived from its answer. */
async function pair() {
  const keys = await createClientKeys();
  const server = await createEcdhSession(keys.publicKey);
  const client = await deriveSession(keys, server.serverPublicKey!, server.salt!);
  return { keys, server, codec: server.codec as Required<SessionCodec>, client };
}

/** The AES key derived independently with node:crypto (ECDH + HKDF), for a node-side client key. */
function nodeKey(ecdh: ReturnType<typeof createECDH>, server: HandshakeResult): Buffer {
  const secret = ecdh.computeSecret(Buffer.from(server.serverPublicKey!, "base64"));
  return Buffer.from(hkdfSync("sha256", secret, Buffer.from(server.salt!, "base64"), SPEC_HKDF_INFO, 32));
}

function nodeDecrypt(key: Buffer, data: { iv: string; ct: string }): string {
  const ct = Buffer.from(data.ct, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(data.iv, "base64"));
  decipher.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]).toString("utf8");
}

function nodeEncrypt(key: Buffer, iv: Buffer, text: string): { iv: string; ct: string } {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return { iv: iv.toString("base64"), ct: Buffer.concat([body, cipher.getAuthTag()]).toString("base64") };
}

/** IV of the client→server direction (prefix 2) with the given counter. */
function c2sIv(counter: number): Buffer {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(2, 0);
  iv.writeBigUInt64BE(BigInt(counter), 4);
  return iv;
}

/** A server-side FrameCipher over a known raw key, so node:crypto can seal frames for it. */
async function serverCipher(randomIvMemory?: number): Promise<{ key: Buffer; cipher: FrameCipher }> {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  const aes = await crypto.subtle.importKey("raw", key, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { key, cipher: new FrameCipher(aes, Direction.SERVER_TO_CLIENT, Direction.CLIENT_TO_SERVER, randomIvMemory) };
}

const randomIv = () => Buffer.from(crypto.getRandomValues(new Uint8Array(12)));

function flipLastByte(text: string): string {
  const bytes = fromBase64(text);
  bytes[bytes.length - 1]! ^= 1;
  return toBase64(bytes);
}

describe("base64", () => {
  test("round-trips standard padded base64 and matches Buffer's encoding", () => {
    for (const n of [0, 1, 2, 3, 31, 32, 65, 70000]) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      expect(toBase64(bytes)).toBe(b64(bytes));
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }
  });

  test("rejects unpadded, URL-safe, whitespace and non-string input", () => {
    for (const bad of ["YQ", "a-_b", "YW Jj", "YWJj\n", "@@@@", 42, null]) expect(() => fromBase64(bad)).toThrow();
  });
});

describe("built-in ECDH handshake", () => {
  test("client public key is a raw uncompressed P-256 point; server answers with a 65-byte key and a 32-byte salt", async () => {
    const { keys, server } = await pair();
    const raw = fromBase64(keys.publicKey);
    expect(raw.length).toBe(65);
    expect(raw[0]).toBe(4);
    expect(fromBase64(server.serverPublicKey).length).toBe(65);
    expect(fromBase64(server.salt).length).toBe(32);
  });

  test("invalid client keys are refused", async () => {
    const good = fromBase64((await createClientKeys()).publicKey);
    const offCurve = good.slice();
    offCurve[64]! ^= 1;
    const noPrefix = good.slice();
    noPrefix[0] = 2;
    const invalid: unknown[] = [undefined, null, 7, "", "not base64!", toBase64(good.subarray(0, 64)), toBase64(good.subarray(0, 33)), toBase64(offCurve), toBase64(noPrefix), good.toString()];
    for (const key of invalid) await expect(createEcdhSession(key)).rejects.toThrow();
    const factory = ecdhCodecFactory();
    await expect(factory({ clientId: "c", data: { publicKey: toBase64(offCurve) }, record: {} as ClientRecord })).rejects.toThrow();
  });

  test("two connections get different server keys, salts and session keys", async () => {
    const keys = await createClientKeys();
    const a = await createEcdhSession(keys.publicKey);
    const b = await createEcdhSession(keys.publicKey);
    expect(a.serverPublicKey).not.toBe(b.serverPublicKey);
    expect(a.salt).not.toBe(b.salt);
    const clientB = await deriveSession(keys, b.serverPublicKey!, b.salt!);
    const frame = JSON.parse(await a.codec.encode({ event: "x", data: 1 }));
    await expect(clientB.decrypt(frame.data)).rejects.toThrow();
  });
});

describe("frame encryption", () => {
  test("server frames decrypt with an independent node:crypto implementation; plaintext is {event, data} (+ seq/room)", async () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const server = await createEcdhSession(b64(ecdh.getPublicKey()));
    const key = nodeKey(ecdh, server);
    const outer = JSON.parse(await server.codec.encode({ event: "chat", data: { text: "hello" } }));
    expect(Object.keys(outer).sort()).toEqual(["data", "event"]);
    expect(outer.event).toBe("encrypted");
    expect(fromBase64(outer.data.iv).length).toBe(12);
    expect(JSON.parse(nodeDecrypt(key, outer.data))).toEqual({ event: "chat", data: { text: "hello" } });
    const history = JSON.parse(await server.codec.encode({ event: "news", data: [1], seq: 7, room: "r" }));
    expect(JSON.parse(nodeDecrypt(key, history.data))).toEqual({ event: "news", data: [1], seq: 7, room: "r" });
  });

  test("the server decodes inbound frames sealed by node:crypto with the documented IV layout", async () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const server = await createEcdhSession(b64(ecdh.getPublicKey()));
    const key = nodeKey(ecdh, server);
    const inner = JSON.stringify({ event: "join", data: { rooms: ["a"] }, id: "1" });
    expect(await server.codec.decode!(nodeEncrypt(key, c2sIv(1), inner))).toBe(inner);
    expect(await server.codec.decode!(nodeEncrypt(key, c2sIv(5), inner))).toBe(inner);
    await expect(server.codec.decode!(nodeEncrypt(key, c2sIv(5), inner))).rejects.toThrow("replayed");
  });

  test("client and server round-trip both ways, with a fresh IV per frame and the id copied outside", async () => {
    const { codec, client } = await pair();
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i += 1) {
      const outer = JSON.parse(await codec.encode({ event: "n", data: i }));
      ivs.add(outer.data.iv);
      expect(await client.decrypt(outer.data)).toEqual({ event: "n", data: i });
    }
    expect(ivs.size).toBe(50);
    const sealed = await client.encrypt({ event: "join", data: { rooms: ["x"] }, id: "r1" });
    expect(sealed).toMatchObject({ event: "encrypted", id: "r1" });
    expect(JSON.parse(await codec.decode(sealed.data))).toEqual({ event: "join", data: { rooms: ["x"] }, id: "r1" });
  });

  test("tampered ciphertext, tampered IV and garbage payloads are rejected; the channel keeps working", async () => {
    const { codec, client } = await pair();
    const good = (await client.encrypt({ event: "a" })).data;
    await expect(codec.decode({ iv: good.iv, ct: flipLastByte(good.ct) })).rejects.toThrow();
    await expect(codec.decode({ iv: flipLastByte(good.iv), ct: good.ct })).rejects.toThrow();
    for (const junk of [null, "x", {}, { iv: "AAAA", ct: "AAAA" }, { iv: good.iv, ct: "AAAA" }]) await expect(codec.decode(junk)).rejects.toThrow();
    expect(JSON.parse(await codec.decode(good))).toEqual({ event: "a" });
  });

  test("replayed, reordered and reflected frames are rejected in both directions", async () => {
    const { codec, client } = await pair();
    const first = (await client.encrypt({ event: "a" })).data;
    const second = (await client.encrypt({ event: "b" })).data;
    expect(JSON.parse(await codec.decode(second)).event).toBe("b");
    await expect(codec.decode(first)).rejects.toThrow("replayed");
    await expect(codec.decode(second)).rejects.toThrow("replayed");
    const outbound = JSON.parse(await codec.encode({ event: "srv" })).data;
    await expect(codec.decode(outbound)).rejects.toThrow("direction");
    expect((await client.decrypt(outbound)).event).toBe("srv");
    await expect(client.decrypt(outbound)).rejects.toThrow("replayed");
    await expect(client.decrypt(second)).rejects.toThrow("direction");
  });

  test("concurrent calls settle in call order", async () => {
    const { codec, client } = await pair();
    const sealed = await Promise.all(Array.from({ length: 100 }, (_, i) => codec.encode({ event: "n", data: i })));
    const opened = await Promise.all(sealed.map((text) => client.decrypt(JSON.parse(text).data)));
    expect(opened.map((f) => f.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  test("deriveSession rejects an invalid server key or salt", async () => {
    const keys = await createClientKeys();
    const server = await createEcdhSession(keys.publicKey);
    await expect(deriveSession(keys, "AAAA", server.salt!)).rejects.toThrow();
    await expect(deriveSession(keys, server.serverPublicKey!, toBase64(new Uint8Array(16)))).rejects.toThrow();
  });
});

describe("inbound IV rules: counted (SDK layout), random (SPEC §5 clients), reflected", () => {
  const inner = JSON.stringify({ event: "heartbeat", id: "x" });

  test("a random IV is accepted once; the same IV again is refused as a replay, a fresh one is accepted", async () => {
    const { key, cipher } = await serverCipher();
    const frame = nodeEncrypt(key, randomIv(), inner);
    expect(await cipher.open(frame)).toBe(inner);
    await expect(cipher.open(frame)).rejects.toThrow("replayed");
    await expect(cipher.open(nodeEncrypt(key, Buffer.from(fromBase64(frame.iv)), "{}"))).rejects.toThrow("replayed");
    expect(await cipher.open(nodeEncrypt(key, randomIv(), inner))).toBe(inner);
  });

  test("the SDK layout keeps its counter check while random IVs are interleaved", async () => {
    const { key, cipher } = await serverCipher();
    expect(await cipher.open(nodeEncrypt(key, c2sIv(5), inner))).toBe(inner);
    expect(await cipher.open(nodeEncrypt(key, randomIv(), inner))).toBe(inner);
    await expect(cipher.open(nodeEncrypt(key, c2sIv(5), inner))).rejects.toThrow("replayed or reordered");
    await expect(cipher.open(nodeEncrypt(key, c2sIv(3), inner))).rejects.toThrow("replayed or reordered");
    expect(await cipher.open(nodeEncrypt(key, c2sIv(9), inner))).toBe(inner);
    // Prefix 2 with a counter of 2^53 or more is not the SDK's layout: a random IV, remembered.
    const big = c2sIv(0);
    big.writeUInt32BE(0x200000, 4);
    const bigFrame = nodeEncrypt(key, big, inner);
    expect(await cipher.open(bigFrame)).toBe(inner);
    await expect(cipher.open(bigFrame)).rejects.toThrow("random IV seen before");
    expect(await cipher.open(nodeEncrypt(key, c2sIv(10), inner))).toBe(inner);
  });

  test("a frame the server sealed is refused when sent back; a server-prefix IV it never used is a random IV", async () => {
    const { key, cipher } = await serverCipher();
    const sent = await cipher.seal(inner);
    await expect(cipher.open(sent)).rejects.toThrow("reflected");
    const unused = Buffer.alloc(12);
    unused.writeUInt32BE(Direction.SERVER_TO_CLIENT, 0);
    unused.writeUInt32BE(1000, 8);
    expect(await cipher.open(nodeEncrypt(key, unused, inner))).toBe(inner);
    await expect(cipher.open(nodeEncrypt(key, unused, inner))).rejects.toThrow("replayed");
  });

  test("a forged random-IV frame is refused and not remembered: the genuine frame with that IV still opens", async () => {
    const { key, cipher } = await serverCipher();
    const genuine = nodeEncrypt(key, randomIv(), inner);
    await expect(cipher.open({ iv: genuine.iv, ct: flipLastByte(genuine.ct) })).rejects.toThrow();
    expect(await cipher.open(genuine)).toBe(inner);
  });

  test(`the IV memory is bounded (default ${RANDOM_IV_MEMORY}): after N+1 distinct random IVs the oldest is forgotten`, async () => {
    const { key, cipher } = await serverCipher(3);
    const frames = Array.from({ length: 4 }, () => nodeEncrypt(key, randomIv(), inner));
    for (const frame of frames.slice(0, 3)) expect(await cipher.open(frame)).toBe(inner);
    await expect(cipher.open(frames[0]!)).rejects.toThrow("replayed");
    expect(await cipher.open(frames[3]!)).toBe(inner);
    // frames[0] fell out of the window: its replay is accepted (the documented limit) …
    expect(await cipher.open(frames[0]!)).toBe(inner);
    // … and remembering it again pushed out frames[1]; the newest ones are still refused.
    expect(await cipher.open(frames[1]!)).toBe(inner);
    for (const frame of [frames[3]!, frames[0]!, frames[1]!]) await expect(cipher.open(frame)).rejects.toThrow("replayed");
  });
});

describe("custom handshake + transformer codec", () => {
  const record = { id: "c1" } as ClientRecord;
  test("uses the hooks' keys and output; a null transform rejects (dropped, never plaintext)", async () => {
    const factory = customCodecFactory(
      () => ({ serverPublicKey: "SPK", salt: "SALT" }),
      ({ client, event, data }) => (event === "secret" ? null : { event: "wrapped", data: { to: client.id, event, data } }),
    );
    const result = (await factory({ clientId: "c1", data: {}, record })) as HandshakeResult;
    expect(result).toMatchObject({ serverPublicKey: "SPK", salt: "SALT" });
    expect(JSON.parse(await result.codec.encode({ event: "hi", data: 1 }))).toEqual({ event: "wrapped", data: { to: "c1", event: "hi", data: 1 } });
    await expect(result.codec.encode({ event: "secret", data: 1 })).rejects.toThrow();
  });

  test("a handshake returning null or false is an invalid key", async () => {
    for (const answer of [null, false] as const) {
      const factory = customCodecFactory(() => answer, () => ({ event: "x", data: null }));
      expect(await factory({ clientId: "c1", data: {}, record })).toBe(false);
    }
  });
});

describe("OrderedEncoder", () => {
  /** A slow codec (1–3 ms per frame, varying so completions interleave) counting concurrent encodings. */
  function slowCodec() {
    const state = { running: 0, max: 0 };
    const codec: SessionCodec = {
      encode: (frame: OutboundFrame) => {
        state.running += 1;
        state.max = Math.max(state.max, state.running);
        return new Promise((resolve) => setTimeout(() => {
          state.running -= 1;
          resolve(JSON.stringify(frame));
        }, 1 + (Number(frame.data) % 3)));
      },
    };
    return { state, codec };
  }

  function target(id: string, codec: SessionCodec, sent: string[]): EncodingTarget {
    return { id, codec, isOpen: true, sendText: (text) => sent.push(text) };
  }

  test("never runs more than `limit` encodings at once and keeps per-target order", async () => {
    const { state, codec } = slowCodec();
    const encoder = new OrderedEncoder(3, silentLogger);
    const sent = new Map<string, string[]>();
    const targets = Array.from({ length: 8 }, (_, i) => {
      sent.set(`t${i}`, []);
      return target(`t${i}`, codec, sent.get(`t${i}`)!);
    });
    for (let n = 0; n < 20; n += 1) for (const t of targets) encoder.enqueue(t, { event: "n", data: (n * 7) % 20 });
    await Promise.all(targets.map((t) => encoder.flushed(t)));
    expect(state.max).toBe(3);
    expect(state.running).toBe(0);
    const expected = Array.from({ length: 20 }, (_, n) => (n * 7) % 20);
    for (const list of sent.values()) expect(list.map((t) => JSON.parse(t).data)).toEqual(expected);
  });

  test("a failed encoding drops that frame only, with no plaintext fallback", async () => {
    const sent: string[] = [];
    const codec: SessionCodec = {
      encode: async (frame) => {
        if (frame.event === "bad") throw new Error("boom");
        return `enc:${frame.event}`;
      },
    };
    const encoder = new OrderedEncoder(2, silentLogger);
    const t = target("t", codec, sent);
    for (const event of ["a", "bad", "b"]) encoder.enqueue(t, { event });
    await encoder.flushed(t);
    expect(sent).toEqual(["enc:a", "enc:b"]);
  });
});
