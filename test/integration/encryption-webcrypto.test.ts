/**
 * Inbound encryption from a client that was not written here (issue 14): a plain WebCrypto client
 * that follows SPEC §5 / the Ignis docs and draws a fresh random 12-byte IV for every frame. It is
 * implemented below with `globalThis.crypto.subtle` only — nothing from shared/crypto or the SDK —
 * so it checks the wire contract, not our own code against itself. Real server, real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startServer, type TestServer } from "../helpers/server.ts";
import { TestClient, type Frame } from "../helpers/ws-client.ts";

const subtle = globalThis.crypto.subtle;
const INFO = new TextEncoder().encode("ignis-ecdh-p256-aes-256-gcm-v1");
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

interface Plain {
  event: string;
  data?: any;
  id?: string;
}

type PlainWaiter = { match: (f: Plain) => boolean; count: number; resolve: (f: Plain[]) => void };

/**
 * SPEC §5 client: ECDH P-256 (raw uncompressed public key, base64), HKDF-SHA-256 with the
 * server's salt and the SPEC info string, AES-256-GCM, `ct` = ciphertext ‖ tag, random IV per
 * frame. Every frame after `connected` is opened in arrival order into `plain`; one that is not
 * an `encrypted` frame goes to `plaintext` (which must stay empty).
 */
class WebCryptoClient {
  readonly plain: Plain[] = [];
  readonly plaintext: Frame[] = [];
  private opening: Promise<void> = Promise.resolve();
  private waiters: PlainWaiter[] = [];

  private constructor(readonly tc: TestClient, private readonly key: CryptoKey) {
    tc.ws.addEventListener("message", (e) => {
      const frame = JSON.parse(String(e.data)) as Frame;
      if (frame.event !== "encrypted") return void this.plaintext.push(frame);
      this.opening = this.opening.then(async () => this.received(await this.open(frame.data)));
    });
  }

  static async connect(server: TestServer): Promise<WebCryptoClient> {
    const pair = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
    const publicKey = b64(new Uint8Array(await subtle.exportKey("raw", pair.publicKey)));
    const tc = await TestClient.connect(server.ws);
    tc.send({ event: "authenticate", data: { token: await server.token({ sub: "webcrypto-user" }), publicKey } });
    const { data } = await tc.waitForEvent("connected");
    const serverKey = await subtle.importKey("raw", unb64(data.serverPublicKey), { name: "ECDH", namedCurve: "P-256" }, false, []);
    const secret = await subtle.deriveBits({ name: "ECDH", public: serverKey }, pair.privateKey, 256);
    const ikm = await subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]);
    const key = await subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: unb64(data.salt), info: INFO }, ikm, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    return new WebCryptoClient(tc, key);
  }

  get id(): string {
    return this.tc.id;
  }

  /** `{"event":"encrypted","data":{iv,ct}}` for an inner frame, with a fresh random IV. */
  async seal(inner: Plain): Promise<{ event: "encrypted"; data: { iv: string; ct: string } }> {
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
    const ct = await subtle.encrypt({ name: "AES-GCM", iv }, this.key, new TextEncoder().encode(JSON.stringify(inner)));
    return { event: "encrypted", data: { iv: b64(iv), ct: b64(new Uint8Array(ct)) } };
  }

  async send(inner: Plain): Promise<void> {
    this.tc.send(await this.seal(inner));
  }

  /** Resolves with the first `count` opened frames that match (past or future), or times out. */
  collect(match: (f: Plain) => boolean, count = 1, timeoutMs = 5000): Promise<Plain[]> {
    const found = this.plain.filter(match);
    if (found.length >= count) return Promise.resolve(found.slice(0, count));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${count} frame(s); last opened: ${JSON.stringify(this.plain.slice(-5))}`));
      }, timeoutMs);
      const waiter: PlainWaiter = { match, count, resolve: (f) => (clearTimeout(timer), resolve(f)) };
      this.waiters.push(waiter);
    });
  }

  /** Sends a heartbeat with an id and waits for its answer: proves the session still works. */
  async heartbeat(id: string): Promise<Plain> {
    await this.send({ event: "heartbeat", id });
    return (await this.collect((f) => f.event === "heartbeat" && f.data?.id === id))[0]!;
  }

  count(match: (f: Plain) => boolean): number {
    return this.plain.filter(match).length;
  }

  private async open(data: { iv: string; ct: string }): Promise<Plain> {
    const plain = await subtle.decrypt({ name: "AES-GCM", iv: unb64(data.iv) }, this.key, unb64(data.ct));
    return JSON.parse(new TextDecoder().decode(plain)) as Plain;
  }

  private received(frame: Plain): void {
    this.plain.push(frame);
    for (const w of [...this.waiters]) {
      const found = this.plain.filter(w.match);
      if (found.length < w.count) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(found.slice(0, w.count));
    }
  }
}

const isDecryptError = (f: Plain) => f.event === "error" && f.data?.message === "Decryption failed";

let server: TestServer;
/** Every custom event the onMessage hook saw, in order. */
const seen: { event: string; data: unknown }[] = [];

beforeAll(async () => {
  server = await startServer({
    allowedRooms: ["wc-*"],
    rateLimitPerSecond: 0,
    onMessage: ({ message }) => {
      seen.push({ event: message.event, data: message.data });
      return { echo: message.data };
    },
  });
});

afterAll(() => server.stop());

describe("a WebCrypto client with random IVs (SPEC §5)", () => {
  test("an encrypted join with an ack id gets its encrypted ack, and the room then delivers", async () => {
    const c = await WebCryptoClient.connect(server);
    await c.send({ event: "join", data: { rooms: ["wc-room"] }, id: "j1" });
    const [ack] = await c.collect((f) => f.event === "ack" && f.data?.id === "j1");
    expect(ack!.data).toEqual({ id: "j1", ok: true, result: { joined: ["wc-room"], denied: [] } });
    expect(server.sb.getClient(c.id)!.rooms).toContain("wc-room");
    await server.sb.toRoom("wc-room", "in-room", { n: 1 });
    expect((await c.collect((f) => f.event === "in-room"))[0]!.data).toEqual({ n: 1 });
    expect(c.plaintext).toEqual([]);
    c.tc.close();
  });

  test("an encrypted custom event with an ack id reaches onMessage once and is acked with its result", async () => {
    const c = await WebCryptoClient.connect(server);
    await c.send({ event: "wc-echo", data: { n: 7 }, id: "c1" });
    const [ack] = await c.collect((f) => f.event === "ack" && f.data?.id === "c1");
    expect(ack!.data).toEqual({ id: "c1", ok: true, result: { echo: { n: 7 } } });
    expect(seen.filter((m) => m.event === "wc-echo")).toEqual([{ event: "wc-echo", data: { n: 7 } }]);
    expect(c.plaintext).toEqual([]);
    c.tc.close();
  });

  test("an encrypted heartbeat with an id is answered with that id and the server time", async () => {
    const c = await WebCryptoClient.connect(server);
    const reply = await c.heartbeat("hb-1");
    expect(reply.data.id).toBe("hb-1");
    expect(Math.abs(reply.data.time - Date.now())).toBeLessThan(5000);
    expect(c.count(isDecryptError)).toBe(0);
    c.tc.close();
  });

  test("1,000 encrypted heartbeats in a row are each answered exactly once, in order", async () => {
    const c = await WebCryptoClient.connect(server);
    const ids = Array.from({ length: 1000 }, (_, i) => `burst-${i}`);
    const sealed = await Promise.all(ids.map((id) => c.seal({ event: "heartbeat", id })));
    expect(new Set(sealed.map((f) => f.data.iv)).size).toBe(1000);
    for (const frame of sealed) c.tc.send(frame);
    await c.heartbeat("after-burst");
    const replies = c.plain.filter((f) => f.event === "heartbeat").map((f) => f.data.id);
    expect(replies).toEqual([...ids, "after-burst"]);
    expect(c.count((f) => f.event === "error")).toBe(0);
    expect(c.plaintext).toEqual([]);
    c.tc.close();
  });
});

describe("refused frames from a random-IV client: encrypted 'Decryption failed', the session survives", () => {
  test("a replayed frame (same iv and ct sent twice) is handled once; the copy is refused and nacked", async () => {
    const c = await WebCryptoClient.connect(server);
    const frame = { ...(await c.seal({ event: "wc-replay", data: { n: 1 }, id: "rp" })), id: "rp" };
    c.tc.send(frame);
    c.tc.send(frame);
    const acks = await c.collect((f) => f.event === "ack" && f.data?.id === "rp", 2);
    expect(acks.map((f) => f.data)).toEqual(expect.arrayContaining([
      { id: "rp", ok: true, result: { echo: { n: 1 } } },
      { id: "rp", ok: false, error: { code: "invalid_format", message: "Decryption failed" } },
    ]));
    await c.collect(isDecryptError);
    expect((await c.heartbeat("after-replay")).data.id).toBe("after-replay");
    expect(seen.filter((m) => m.event === "wc-replay")).toHaveLength(1);
    expect(c.count(isDecryptError)).toBe(1);
    expect(c.tc.isClosed).toBe(false);
    expect(c.plaintext).toEqual([]);
    c.tc.close();
  });

  test("a server frame sent back to the server (reflected) is refused; it never reaches onMessage", async () => {
    const c = await WebCryptoClient.connect(server);
    await server.sb.toClient(c.id, "wc-reflect-me", { n: 2 });
    await c.collect((f) => f.event === "wc-reflect-me");
    const raw = c.tc.raw.findLast((text) => text.startsWith('{"event":"encrypted"'))!;
    c.tc.sendRaw(raw);
    await c.collect(isDecryptError);
    expect((await c.heartbeat("after-reflect")).data.id).toBe("after-reflect");
    expect(seen.some((m) => m.event === "wc-reflect-me")).toBe(false);
    expect(c.count(isDecryptError)).toBe(1);
    expect(c.tc.isClosed).toBe(false);
    c.tc.close();
  });

  test("a forged tag (one byte of ct flipped) is refused and nacked; the genuine frame still works after", async () => {
    const c = await WebCryptoClient.connect(server);
    const genuine = await c.seal({ event: "wc-forged", data: { n: 3 }, id: "fg" });
    const ct = unb64(genuine.data.ct);
    ct[ct.length - 1]! ^= 0x01;
    c.tc.send({ event: "encrypted", data: { iv: genuine.data.iv, ct: b64(ct) }, id: "fg" });
    const [nack] = await c.collect((f) => f.event === "ack" && f.data?.id === "fg");
    expect(nack!.data).toEqual({ id: "fg", ok: false, error: { code: "invalid_format", message: "Decryption failed" } });
    expect(c.count(isDecryptError)).toBe(1);
    expect(seen.some((m) => m.event === "wc-forged")).toBe(false);
    // A forged frame leaves no trace in the IV memory: the genuine frame with that IV is accepted.
    c.tc.send(genuine);
    const acks = await c.collect((f) => f.event === "ack" && f.data?.id === "fg", 2);
    expect(acks[1]!.data).toEqual({ id: "fg", ok: true, result: { echo: { n: 3 } } });
    expect((await c.heartbeat("after-forged")).data.id).toBe("after-forged");
    expect(c.tc.isClosed).toBe(false);
    expect(c.plaintext).toEqual([]);
    c.tc.close();
  });
});
