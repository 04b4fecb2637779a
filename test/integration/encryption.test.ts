/**
 * End-to-end encryption against a real server and real WebSocket clients that use the client
 * module (shared/crypto): modes, the plaintext `connected`, "nothing after `connected` is
 * plaintext" on the raw frames, inbound encrypted frames, mixed rooms under a burst, the cluster
 * path, custom hooks and start-up validation (SPEC §3.2 items 1–2, §5).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MemoryBroker, MemoryBus } from "../../server/broker/memory.ts";
import { ConfigError } from "../../server/config/settings.ts";
import { createSwitchboard } from "../../server/switchboard.ts";
import { silentLogger } from "../../server/core/types.ts";
import { createClientKeys, deriveSession, fromBase64, toBase64, type ClientSession, type PlainFrame } from "../../shared/crypto.ts";
import { startServer, TEST_SECRET, type TestServer } from "../helpers/server.ts";
import { TestClient, type Frame } from "../helpers/ws-client.ts";

/** An outer frame that carries nothing but ciphertext. */
function isSealed(frame: Frame): boolean {
  return frame.event === "encrypted" && Object.keys(frame).join() === "event,data" && Object.keys(frame.data ?? {}).sort().join() === "ct,iv";
}

/**
 * A TestClient with an encrypted session. Every frame after `connected` is decrypted exactly
 * once, in arrival order, into `plain`; a frame that is not sealed makes every wait fail.
 */
class SecureClient {
  readonly plain: PlainFrame[] = [];
  private opened: number;
  private pumping: Promise<void> = Promise.resolve();

  private constructor(readonly tc: TestClient, readonly session: ClientSession) {
    this.opened = tc.frames.indexOf(tc.connected!) + 1;
  }

  static async connect(server: TestServer, claims: Record<string, unknown> = { sub: "u1" }): Promise<SecureClient> {
    const keys = await createClientKeys();
    const tc = await server.client(claims, { publicKey: keys.publicKey });
    const { serverPublicKey, salt } = tc.connected!.data;
    return new SecureClient(tc, await deriveSession(keys, serverPublicKey, salt));
  }

  get id(): string {
    return this.tc.id;
  }

  /** Decrypts every frame received so far (single-flight, so no frame is opened twice). */
  pump(): Promise<void> {
    this.pumping = this.pumping.then(async () => {
      while (this.opened < this.tc.frames.length) {
        const frame = this.tc.frames[this.opened]!;
        if (!isSealed(frame)) throw new Error(`plaintext frame after connected: ${JSON.stringify(frame)}`);
        this.opened += 1;
        this.plain.push(await this.session.decrypt(frame.data));
      }
    });
    return this.pumping;
  }

  /** Resolves once `count` decrypted frames match; times out instead of sleeping. */
  async collect(match: (f: PlainFrame) => boolean, count = 1, timeoutMs = 3000): Promise<PlainFrame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.pump();
      const found = this.plain.filter(match);
      if (found.length >= count) return found;
      const seen = this.tc.frames.length;
      if (seen > this.opened) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} frame(s); decrypted: ${JSON.stringify(this.plain.slice(-5))}`);
      await this.tc.waitFor(() => this.tc.frames.length > seen, left, "a frame").catch(() => undefined);
    }
  }

  async event(event: string, timeoutMs?: number): Promise<PlainFrame> {
    return (await this.collect((f) => f.event === event, 1, timeoutMs))[0]!;
  }

  async send(frame: PlainFrame): Promise<void> {
    this.tc.send(await this.session.encrypt(frame));
  }

  /** Sends an encrypted request and resolves with its (decrypted) ack data. */
  async request(event: string, data: unknown): Promise<any> {
    const id = `r-${Math.random().toString(36).slice(2)}`;
    await this.send({ event, data, id });
    const [ack] = await this.collect((f) => f.event === "ack" && (f.data as { id?: string }).id === id);
    return ack!.data;
  }

  /** Asserts that every frame after `connected` was sealed and none contains `marker` in clear. */
  async expectAllSealed(marker: string): Promise<void> {
    await this.pump();
    const after = this.tc.raw.slice(this.tc.frames.indexOf(this.tc.connected!) + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const text of after) {
      expect(isSealed(JSON.parse(text))).toBe(true);
      expect(text).not.toContain(marker);
    }
  }
}

async function authenticateWith(server: TestServer, publicKey: unknown): Promise<TestClient> {
  const c = await TestClient.connect(server.ws);
  c.send({ event: "authenticate", data: { token: await server.token(), publicKey } });
  return c;
}

async function invalidKeys(): Promise<unknown[]> {
  const good = fromBase64((await createClientKeys()).publicKey);
  const offCurve = good.slice();
  offCurve[64]! ^= 1;
  return ["not base64!", toBase64(good.subarray(0, 64)), toBase64(offCurve), 12345];
}

describe("ENCRYPTION=optional (default), built-in ECDH", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ allowedRooms: ["lobby", "r-*"] });
  });
  afterAll(() => server.stop());

  test("connected is plaintext with serverPublicKey and salt; the client record shows the encryption", async () => {
    const before = Date.now();
    const sc = await SecureClient.connect(server);
    const connected = sc.tc.connected!;
    expect(sc.tc.raw[sc.tc.frames.indexOf(connected)]).toContain('"event":"connected"');
    expect(fromBase64(connected.data.serverPublicKey).length).toBe(65);
    expect(fromBase64(connected.data.salt).length).toBe(32);
    const info = server.sb.getClient(sc.id)!;
    expect(info.encrypted).toBe(true);
    expect(info.encryptedAt).toBeGreaterThanOrEqual(before);
    expect(info.encryptedAt).toBeLessThanOrEqual(Date.now());
    expect(server.sb.getClients({ encrypted: true }).map((c) => c.id)).toContain(sc.id);
    expect((await server.sb.stats()).encrypted).toBeGreaterThanOrEqual(1);
    sc.tc.close();
  });

  test("every frame after connected is encrypted: direct, user, room, broadcast, error, ack, heartbeat reply", async () => {
    const sc = await SecureClient.connect(server, { sub: "enc-user" });
    const plain = await server.client({ sub: "plain-user" });
    expect(plain.connected!.data.serverPublicKey).toBeUndefined();
    expect(server.sb.getClient(plain.id)!.encrypted).toBe(false);
    plain.send({ event: "join", data: { rooms: ["lobby"] } });
    sc.tc.send({ event: "join", data: { rooms: ["lobby"] }, id: "j1" });
    const [ack] = await sc.collect((f) => f.event === "ack");
    expect(ack!.data).toEqual({ id: "j1", ok: true, result: { joined: ["lobby"], denied: [] } });
    await server.sb.toClient(sc.id, "direct", { s: "SECRET-direct" });
    await server.sb.toUser("enc-user", "to-user", { s: "SECRET-user" });
    await server.sb.toRoom("lobby", "to-room", { s: "SECRET-room" });
    await server.sb.broadcast("to-all", { s: "SECRET-broadcast" });
    sc.tc.sendRaw("this is not json");
    sc.tc.send({ event: "heartbeat", id: "hb-1" });
    for (const event of ["direct", "to-user", "to-room", "to-all"]) expect((await sc.event(event)).data).toMatchObject({ s: expect.stringContaining("SECRET-") });
    expect((await sc.event("error")).data).toEqual({ message: "Invalid message format" });
    expect((await sc.event("heartbeat")).data).toMatchObject({ id: "hb-1", time: expect.any(Number) });
    await sc.expectAllSealed("SECRET");
    expect((await plain.next("to-room")).data).toEqual({ s: "SECRET-room" });
    expect((await plain.next("to-all")).data).toEqual({ s: "SECRET-broadcast" });
    sc.tc.close();
    plain.close();
  });

  test("a client without a publicKey gets a plaintext session", async () => {
    const c = await server.client({ sub: "nokey" });
    expect(c.connected!.data).not.toHaveProperty("serverPublicKey");
    expect(c.connected!.data).not.toHaveProperty("salt");
    await server.sb.toClient(c.id, "hello", 1);
    expect((await c.next("hello")).data).toBe(1);
    c.close();
  });

  test("an invalid publicKey gets error 'Encryption handshake failed', then close 4004", async () => {
    for (const key of await invalidKeys()) {
      const c = await authenticateWith(server, key);
      expect(await c.waitClosed()).toEqual({ code: 4004, reason: "Encryption required" });
      expect(c.frames).toEqual([{ event: "error", data: { message: "Encryption handshake failed" } }]);
    }
  });

  test("two connections get different keys: one cannot read the other's frames", async () => {
    const a = await SecureClient.connect(server);
    const b = await SecureClient.connect(server);
    expect(a.tc.connected!.data.serverPublicKey).not.toBe(b.tc.connected!.data.serverPublicKey);
    expect(a.tc.connected!.data.salt).not.toBe(b.tc.connected!.data.salt);
    await server.sb.toClient(a.id, "for-a", 1);
    await a.event("for-a");
    const sealed = a.tc.frames.at(-1)!;
    await expect(b.session.decrypt(sealed.data)).rejects.toThrow();
    a.tc.close();
    b.tc.close();
  });
});

describe("inbound encrypted frames", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ allowedRooms: ["r-*"] });
  });
  afterAll(() => server.stop());

  test("an encrypted join with an id gets an encrypted ack, and the room then delivers", async () => {
    const sc = await SecureClient.connect(server);
    expect(await sc.request("join", { rooms: ["r-in"] })).toMatchObject({ ok: true, result: { joined: ["r-in"], denied: [] } });
    expect(server.sb.getClient(sc.id)!.rooms).toContain("r-in");
    await server.sb.toRoom("r-in", "in-room", { n: 1 });
    expect((await sc.event("in-room")).data).toEqual({ n: 1 });
    await sc.expectAllSealed("in-room");
    sc.tc.close();
  });

  test("garbage, tampered, replayed and reflected frames get an encrypted 'Decryption failed'; the connection stays open", async () => {
    const sc = await SecureClient.connect(server);
    sc.tc.send({ event: "encrypted", data: { iv: "garbage", ct: "!!" }, id: "g1" });
    const tampered = await sc.session.encrypt({ event: "join", data: { rooms: ["r-tampered"] } });
    const ct = fromBase64(tampered.data.ct);
    ct[0]! ^= 0xff;
    sc.tc.send({ ...tampered, data: { iv: tampered.data.iv, ct: toBase64(ct) } });
    const replayed = await sc.session.encrypt({ event: "join", data: { rooms: ["r-once"] }, id: "once" });
    sc.tc.send(replayed);
    sc.tc.send(replayed);
    await server.sb.toClient(sc.id, "reflect-me", 1);
    await sc.event("reflect-me");
    sc.tc.sendRaw(sc.tc.raw.at(-1)!);
    const errors = await sc.collect((f) => f.event === "error", 4);
    expect(errors.map((f) => f.data)).toEqual(Array(4).fill({ message: "Decryption failed" }));
    const acks = await sc.collect((f) => f.event === "ack", 3);
    // The join's ack may come after the replay's nack (joining is asynchronous), so no order here.
    expect(acks.map((f) => f.data)).toEqual(expect.arrayContaining([
      { id: "g1", ok: false, error: { code: "invalid_format", message: "Decryption failed" } },
      { id: "once", ok: true, result: { joined: ["r-once"], denied: [] } },
      { id: "once", ok: false, error: { code: "invalid_format", message: "Decryption failed" } },
    ]));
    expect(server.sb.getClient(sc.id)!.rooms).not.toContain("r-tampered");
    await sc.send({ event: "heartbeat", id: "still-here" });
    expect((await sc.event("heartbeat")).data).toMatchObject({ id: "still-here" });
    expect(sc.tc.isClosed).toBe(false);
    await sc.expectAllSealed("Decryption");
    sc.tc.close();
  });
});

describe("fan-out with plaintext and encrypted members", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ encryptedBatchLimit: 4 });
  });
  afterAll(() => server.stop());

  test("a burst of 1,000 room messages reaches each member once, in order; broadcast exclude works for both kinds", async () => {
    const enc = [await SecureClient.connect(server, { sub: "e1" }), await SecureClient.connect(server, { sub: "e2" })];
    const plain = [await server.client({ sub: "p1" }), await server.client({ sub: "p2" })];
    for (const id of [...enc.map((c) => c.id), ...plain.map((c) => c.id)]) expect(await server.sb.joinRoom({ clientId: id, rooms: ["mix"] })).toEqual(["mix"]);
    const sends: Promise<number>[] = [];
    for (let i = 0; i < 1000; i += 1) sends.push(server.sb.toRoom("mix", "n", { i }));
    sends.push(server.sb.broadcast("b", { x: 1 }, { exclude: [enc[0]!.id, plain[0]!.id] }));
    sends.push(server.sb.toRoom("mix", "end"));
    expect((await Promise.all(sends)).slice(0, 1000).every((n) => n === 4)).toBe(true);
    const expected = Array.from({ length: 1000 }, (_, i) => i);
    for (const c of enc) {
      await c.event("end", 10_000);
      expect(c.plain.filter((f) => f.event === "n").map((f) => (f.data as { i: number }).i)).toEqual(expected);
      await c.expectAllSealed('"i"');
    }
    for (const c of plain) {
      await c.waitForEvent("end", 10_000);
      expect(c.frames.filter((f) => f.event === "n").map((f) => f.data.i)).toEqual(expected);
    }
    expect(enc.map((c) => c.plain.filter((f) => f.event === "b").length)).toEqual([0, 1]);
    expect(plain.map((c) => c.frames.filter((f) => f.event === "b").length)).toEqual([0, 1]);
    for (const c of enc) c.tc.close();
    for (const c of plain) c.close();
  });
});

describe("cross-instance delivery to an encrypted client", () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const bus = new MemoryBus();
    a = await startServer({ broker: new MemoryBroker(bus) });
    b = await startServer({ broker: new MemoryBroker(bus) });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
  });

  test("client, user, room and broadcast sends from another instance arrive encrypted", async () => {
    const sc = await SecureClient.connect(a, { sub: "far-user" });
    await a.sb.joinRoom({ clientId: sc.id, rooms: ["far-room"] });
    await b.sb.toClient(sc.id, "x-client", "SECRET");
    await b.sb.toUser("far-user", "x-user", "SECRET");
    await b.sb.toRoom("far-room", "x-room", "SECRET");
    await b.sb.broadcast("x-all", "SECRET");
    const got = await sc.collect((f) => f.event.startsWith("x-"), 4);
    expect(got.map((f) => f.event)).toEqual(["x-client", "x-user", "x-room", "x-all"]);
    await sc.expectAllSealed("SECRET");
    sc.tc.close();
  });
});

describe("ENCRYPTION=off and ENCRYPTION=required", () => {
  test("off: a client that sends a publicKey gets a plaintext session", async () => {
    const server = await startServer({ encryption: "off" });
    try {
      const keys = await createClientKeys();
      const c = await server.client({ sub: "u" }, { publicKey: keys.publicKey });
      expect(c.connected!.data).not.toHaveProperty("serverPublicKey");
      expect(server.sb.getClient(c.id)!.encrypted).toBe(false);
      await server.sb.toClient(c.id, "clear", 1);
      expect((await c.next("clear")).data).toBe(1);
    } finally {
      await server.stop();
    }
  });

  test("required: no key or an invalid key closes 4004; a valid key gets an encrypted session", async () => {
    const server = await startServer({ requireEncryption: true });
    try {
      expect(server.sb.options.encryption).toBe("required");
      const none = await authenticateWith(server, undefined);
      expect((await none.waitClosed()).code).toBe(4004);
      expect(none.frames.some((f) => f.event === "connected")).toBe(false);
      for (const key of await invalidKeys()) {
        const c = await authenticateWith(server, key);
        expect((await c.waitClosed()).code).toBe(4004);
        expect(c.frames.map((f) => f.data?.message)).toEqual(["Encryption handshake failed"]);
      }
      const sc = await SecureClient.connect(server);
      await server.sb.toClient(sc.id, "ok", "SECRET");
      expect((await sc.event("ok")).data).toBe("SECRET");
      await sc.expectAllSealed("SECRET");
    } finally {
      await server.stop();
    }
  });
});

describe("custom handshake and outboundTransformer hooks", () => {
  test("replace the built-in; a transformer returning null drops the frame, never sends plaintext", async () => {
    const dropped: object[] = [];
    const logger = { ...silentLogger, error: (obj: object, msg?: string) => void dropped.push({ ...obj, msg }) };
    const server = await startServer({
      logger,
      handshake: ({ data }) => (data.publicKey === "custom-key" ? { serverPublicKey: "CUSTOM-SPK", salt: "CUSTOM-SALT" } : false),
      outboundTransformer: ({ client, event, data }) => (event === "drop-me" ? null : { event: "wrapped", data: { to: client.id, payload: toBase64(new TextEncoder().encode(JSON.stringify({ event, data }))) } }),
    });
    try {
      const c = await server.client({ sub: "u" }, { publicKey: "custom-key" });
      expect(c.connected!.data).toMatchObject({ serverPublicKey: "CUSTOM-SPK", salt: "CUSTOM-SALT" });
      expect(server.sb.getClient(c.id)!.encrypted).toBe(true);
      await server.sb.toClient(c.id, "drop-me", "SECRET");
      await server.sb.toClient(c.id, "after", "SECRET");
      c.send({ event: "heartbeat", id: "h" });
      await c.waitFor((f) => f.event === "wrapped" && atob(f.data.payload).includes("heartbeat"));
      const after = c.frames.slice(c.frames.indexOf(c.connected!) + 1);
      expect(after.every((f) => f.event === "wrapped" && f.data.to === c.id)).toBe(true);
      expect(after.map((f) => JSON.parse(atob(f.data.payload)).event)).toEqual(["after", "heartbeat"]);
      expect(c.raw.some((text) => text.includes("SECRET"))).toBe(false);
      expect(dropped).toEqual([expect.objectContaining({ clientId: c.id, event: "drop-me", msg: expect.stringContaining("dropped") })]);
      const refused = await authenticateWith(server, "wrong-key");
      expect(await refused.waitClosed()).toMatchObject({ code: 4004 });
      expect(refused.frames).toEqual([{ event: "error", data: { message: "Encryption handshake failed" } }]);
      c.close();
    } finally {
      await server.stop();
    }
  });

  test("misconfigured hooks are rejected at start-up with a ConfigError", () => {
    const handshake = () => ({ serverPublicKey: "k", salt: "s" });
    const outboundTransformer = () => null;
    const base = { jwtSecret: TEST_SECRET, logLevel: "error" as const };
    const bad = [
      { ...base, handshake },
      { ...base, encryption: "required" as const, handshake },
      { ...base, outboundTransformer },
      { ...base, encryption: "off" as const, handshake, outboundTransformer },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        createSwitchboard(options);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/handshake|outboundTransformer/);
    }
  });
});
