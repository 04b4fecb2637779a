/**
 * Fuzzing inside an encrypted session (issue 9): random, mutated and hostile inner frames sealed
 * with the session key, and random outer `encrypted` payloads (garbage, wrong types, forged
 * ciphertext). Every answer arrives encrypted and is the documented one — the same as for a
 * plaintext frame (frames.ts oracle), `Invalid message format` for a nested `encrypted`, and
 * `Decryption failed` for a payload that does not open — while a sentinel client in a room keeps
 * receiving its stream. Seeded: `FUZZ_SEED=<seed>` replays a run.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClientKeys, deriveAesKey, Direction, FrameCipher, fromBase64, importPublicKey, type EncryptedPayload } from "../../shared/crypto.ts";
import type { TestServer } from "../helpers/server.ts";
import type { Sentinel } from "../helpers/sentinel.ts";
import { startFuzzServer } from "./fixture.ts";
import { TestClient, type Frame } from "../helpers/ws-client.ts";
import { deepFrame, expectFor, mutatedFrame, randomValue, wireText, wrongTypesFrame, type Expect } from "./frames.ts";
import { fuzz, type Rng } from "./prng.ts";

const MAX_PAYLOAD = 64 * 1024;
const BUDGET_MS = 3000;

let s: TestServer;
let sentinel: Sentinel;

beforeAll(async () => {
  ({ server: s, sentinel } = await startFuzzServer(MAX_PAYLOAD));
});

afterAll(() => s?.stop());

/** An encrypted session seen from the client: seals frames and opens every answer. */
class SecureProbe {
  readonly answers: Frame[] = [];
  /** Frames that arrived in plaintext after `connected` (must stay empty). */
  readonly plaintext: string[] = [];
  private fences = 0;

  private constructor(
    readonly client: TestClient,
    private readonly cipher: FrameCipher,
  ) {
    client.ws.addEventListener("message", (e) => {
      const outer = JSON.parse(String(e.data)) as Frame;
      if (outer.event !== "encrypted") return void this.plaintext.push(String(e.data));
      void cipher.open(outer.data).then((text) => void this.answers.push(JSON.parse(text) as Frame));
    });
  }

  static async open(server: TestServer): Promise<SecureProbe> {
    const keys = await createClientKeys();
    const client = await TestClient.connect(server.ws);
    client.send({ event: "authenticate", data: { token: await server.token({ sub: "secure-fuzzer" }), publicKey: keys.publicKey } });
    const { data } = await client.waitForEvent("connected");
    const key = await deriveAesKey(keys.privateKey, await importPublicKey(data.serverPublicKey), fromBase64(data.salt));
    return new SecureProbe(client, new FrameCipher(key, Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT));
  }

  async sendSealed(inner: string): Promise<void> {
    this.client.send({ event: "encrypted", data: await this.cipher.seal(inner) });
  }

  /** Sends the input, then a sealed heartbeat fence; returns the answers between them (and a late ack). */
  async answersTo(send: () => Promise<void> | void, want: Expect): Promise<Frame[]> {
    const start = this.answers.length;
    await send();
    const fence = `fence-${++this.fences}`;
    await this.sendSealed(JSON.stringify({ event: "heartbeat", id: fence }));
    await waitFor(() => this.answers.some((f) => f.event === "heartbeat" && f.data?.id === fence), `fence ${fence}`);
    if (want.ack) await waitFor(() => this.answers.slice(start).some((f) => f.event === "ack" && f.data?.id === want.ack!.id), `ack ${want.ack.id}`);
    return this.answers.slice(start).filter((f) => !(f.event === "heartbeat" && f.data?.id === fence));
  }
}

async function waitFor(check: () => boolean, label: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await Bun.sleep(2);
  }
}

function verify(got: Frame[], want: Expect, context: string): void {
  expect(got.filter((f) => f.event === "error").map((f) => f.data?.message), context).toEqual(want.errors);
  expect(got.filter((f) => f.event === "heartbeat").map((f) => f.data?.id), context).toEqual(want.heartbeat !== undefined ? [want.heartbeat] : []);
  const acks = got.filter((f) => f.event === "ack").map((f) => ({ id: f.data.id, ok: f.data.ok, ...(f.data.ok ? {} : { code: f.data.error?.code }) }));
  expect(acks, context).toEqual(want.ack ? [want.ack] : []);
}

/** The oracle inside a session: as in plaintext, except that a nested `encrypted` is refused. */
function expectInner(inner: string): Expect {
  try {
    const value = JSON.parse(inner);
    if (value && typeof value === "object" && !Array.isArray(value) && value.event === "encrypted") return { errors: ["Invalid message format"] };
  } catch {
    // not JSON: the plaintext oracle answers Invalid message format
  }
  return expectFor(inner, true);
}

function innerInput(rng: Rng): string {
  const kind = rng.int(8);
  if (kind < 3) return wireText(wrongTypesFrame(rng));
  if (kind < 6) return wireText(mutatedFrame(rng));
  if (kind < 7) return wireText(rng.anyText(rng.int(120)));
  return deepFrame(rng, 8 * 1024);
}

function garbagePayload(rng: Rng): unknown {
  const kind = rng.int(4);
  if (kind === 0) return randomValue(rng);
  if (kind === 1) return { iv: rng.anyText(16), ct: rng.anyText(40) };
  const forged: EncryptedPayload = { iv: Buffer.from(rng.bytes(12)).toString("base64"), ct: Buffer.from(rng.bytes(16 + rng.int(64))).toString("base64") };
  return kind === 2 ? forged : { ...forged, extra: randomValue(rng) };
}

describe("encrypted session fuzz", () => {
  test("random inner frames sealed with the session key get the documented answer, encrypted", () =>
    fuzz("encrypted inner frames", async (rng) => {
      const probe = await SecureProbe.open(s);
      const deadline = Date.now() + BUDGET_MS;
      let cases = 0;
      for (; cases < 300 && Date.now() < deadline; cases++) {
        const inner = innerInput(rng);
        const want = expectInner(inner);
        verify(await probe.answersTo(() => probe.sendSealed(inner), want), want, `case ${cases}: ${inner.slice(0, 200)}`);
      }
      expect(cases).toBeGreaterThan(30);
      expect(probe.plaintext).toEqual([]);
      expect(probe.client.isClosed).toBe(false);
      probe.client.close();
    }));

  test("outer encrypted payloads that do not open get an encrypted 'Decryption failed' and the session goes on", () =>
    fuzz("encrypted garbage payloads", async (rng) => {
      const probe = await SecureProbe.open(s);
      for (let i = 0; i < 60; i++) {
        const id = rng.int(2) === 0 ? `g-${i}` : undefined;
        const want: Expect = { errors: ["Decryption failed"], ...(id ? { ack: { id, ok: false, code: "invalid_format" } } : {}) };
        const frame = id ? { event: "encrypted", data: garbagePayload(rng), id } : { event: "encrypted", data: garbagePayload(rng) };
        verify(await probe.answersTo(() => probe.client.send(frame), want), want, `garbage ${i}: ${JSON.stringify(frame).slice(0, 200)}`);
      }
      const echo = `after-${rng.int(1000)}`;
      const want: Expect = { errors: [], heartbeat: echo };
      verify(await probe.answersTo(() => probe.sendSealed(JSON.stringify({ event: "heartbeat", id: echo })), want), want, "session still works");
      expect(probe.plaintext).toEqual([]);
      probe.client.close();
    }));

  test("the sentinel's stream arrived complete through both fuzz runs", async () => {
    await sentinel.stopAndCheck();
  });
});
