/**
 * @module shared/crypto
 * End-to-end session encryption (SPEC §5, ignis §8.3), for both sides of the socket. WebCrypto
 * only (`globalThis.crypto.subtle`), no Node imports: runs in browsers, Bun and Node ≥ 20.
 *
 * Key agreement: each side has an ECDH P-256 key pair; public keys travel as the raw
 * uncompressed point (65 bytes), standard padded base64. The shared secret (256 bits) goes
 * through HKDF-SHA-256 with the server's random 32-byte salt and the info string
 * `ignis-ecdh-p256-aes-256-gcm-v1` to give one AES-256-GCM key per connection.
 *
 * Frames: `{"event":"encrypted","data":{"iv":b64,"ct":b64}}`, `ct` = ciphertext ‖ 16-byte tag,
 * plaintext = UTF-8 JSON of the inner frame (`{event, data}`, plus `seq`/`room` from history
 * rooms, plus `id` on client requests). No AAD, so an Ignis-documented client can decrypt.
 *
 * IVs (12 bytes). A sender here never draws them at random but builds `direction (4 bytes) ‖
 * counter (8 bytes)`, both big-endian: direction 1 = server→client, 2 = client→server; the counter
 * starts at 1 and grows by one per frame. One key serves both directions, so the prefix keeps
 * the two sides' IVs disjoint, and the counter gives O(1) replay protection. (A peer's random IV
 * meets one of ours with probability (our frames)/2^96: the usual bound of random IVs.)
 * A receiver (server and SDK alike) accepts two kinds of inbound IV, because clients that follow
 * SPEC §5 / the Ignis docs draw a fresh random IV per frame and were never told about the layout:
 *   - "counted": the peer's direction prefix and a counter below 2^53 (the SDK's layout). Accepted
 *     only when the counter is above the last accepted one (gaps allowed); a lower or equal one is
 *     refused as replayed or reordered. O(1) state, nothing allocated.
 *   - any other IV ("random"). Refused when it is one this receiver sealed with itself (own
 *     prefix, counter 1…frames sent): that is a reflected frame. Otherwise accepted once: the
 *     receiver remembers the last RANDOM_IV_MEMORY (1024) distinct random IVs of the session
 *     exactly (IvMemory) and refuses one seen among them as a replay. Limits, stated as the
 *     contract: after 1024 newer random IVs an IV is forgotten and a replay of that old frame is
 *     accepted again; random-IV frames have no order, so reordering them is not detected.
 * A random IV lands in the "counted" class with probability 2^-43 and in the "reflected" class
 * with probability (frames sent)/2^96, so a random-IV client is practically never refused.
 * Counters and the memory change only after the tag verified: forged frames leave no trace, and
 * only the key holder can fill the memory. Every refusal is a rejected `open`/`decrypt`; what the
 * server then does is in server/encryption/ecdh.ts (an encrypted `error`, the session stays).
 * Cost, measured with scripts/iv-memory-cost.ts (1,000 built-in ECDH server sessions, Bun
 * 1.4.5, heapUsed after a full GC, per session): counted (SDK) frames only, 0 to 1,024 of them:
 * nothing (−37…+53 B, GC noise), as the memory is made on the first random-IV frame; random-IV
 * frames: 1 → 1.4 KB, 64 → 1.4 KB, 65 → 2.7 KB (the ring doubles from 64 slots), 1,024 and
 * more → 16.6 KB, flat (so ≈16.6 MB per 1,000 random-IV clients at most). A Set of base64 IV
 * strings measured 78–110 KB per full session, hence typed arrays. test/unit/iv-memory.test.ts
 * keeps these bounds.
 *
 * Client use (the SDK builds on this):
 *   const keys = await createClientKeys();
 *   ws.send(JSON.stringify({ event: "authenticate", data: { token, publicKey: keys.publicKey } }));
 *   // on `connected` carrying serverPublicKey + salt:
 *   const session = await deriveSession(keys, connected.data.serverPublicKey, connected.data.salt);
 *   // on every `encrypted` frame:  const { event, data } = await session.decrypt(frame.data);
 *   // to send encrypted:            ws.send(JSON.stringify(await session.encrypt({ event, data, id })));
 * `decrypt` and `encrypt` each settle in call order, so calling them straight from the socket's
 * message handler / send path keeps frame order.
 */

import { IvMemory, RANDOM_IV_MEMORY } from "./iv-memory.ts";

export { IvMemory, RANDOM_IV_MEMORY };

export const HKDF_INFO = "ignis-ecdh-p256-aes-256-gcm-v1";
export const PUBLIC_KEY_BYTES = 65;
export const SALT_BYTES = 32;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** IV prefixes: which side sealed the frame. */
export const Direction = Object.freeze({ SERVER_TO_CLIENT: 1, CLIENT_TO_SERVER: 2 });
export type Direction = (typeof Direction)[keyof typeof Direction];

/** The `data` of an `encrypted` frame. */
export interface EncryptedPayload {
  iv: string;
  ct: string;
}

export interface EncryptedFrame {
  event: "encrypted";
  data: EncryptedPayload;
  /** Copied from the inner frame so that a frame the server cannot decrypt is still nacked. */
  id?: string;
}

/** What travels inside the ciphertext. */
export interface PlainFrame {
  event: string;
  data?: unknown;
  id?: string;
  seq?: number;
  room?: string;
}

export interface ClientKeys {
  /** Raw uncompressed P-256 point, base64: send it as `authenticate.data.publicKey`. */
  publicKey: string;
  privateKey: CryptoKey;
}

export interface ClientSession {
  /** Seals an outbound frame; the result is ready for `JSON.stringify` and `ws.send`. */
  encrypt(frame: PlainFrame): Promise<EncryptedFrame>;
  /** Opens the `data` of an inbound `encrypted` frame; rejects when it is forged, replayed or malformed. */
  decrypt(data: unknown): Promise<PlainFrame>;
}

const ECDH = { name: "ECDH", namedCurve: "P-256" } as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error("WebCrypto (crypto.subtle) is not available: a secure context (https) or Node ≥ 20 is needed");
  return s;
}

// ---- encoding -----------------------------------------------------------------------------

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Strict standard padded base64 (no whitespace, no URL alphabet); throws on anything else. */
export function fromBase64(text: unknown): Uint8Array<ArrayBuffer> {
  if (typeof text !== "string" || !BASE64.test(text)) throw new Error("not standard padded base64");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

// ---- keys -----------------------------------------------------------------------------------

/** A fresh P-256 key pair; the private key is not extractable. */
export async function generateKeyPair(): Promise<{ publicKey: string; privateKey: CryptoKey }> {
  const pair = await subtle().generateKey(ECDH, false, ["deriveBits"]);
  const raw = new Uint8Array(await subtle().exportKey("raw", pair.publicKey));
  return { publicKey: toBase64(raw), privateKey: pair.privateKey };
}

/** The client's key pair for one connection (use a fresh one per connection). */
export function createClientKeys(): Promise<ClientKeys> {
  return generateKeyPair();
}

/**
 * Imports a peer's public key. Throws unless it is base64 of exactly 65 bytes starting with 0x04
 * (uncompressed) and the point lies on P-256 (WebCrypto's import checks the curve).
 */
export async function importPublicKey(base64: unknown): Promise<CryptoKey> {
  const raw = fromBase64(base64);
  if (raw.length !== PUBLIC_KEY_BYTES || raw[0] !== 0x04) throw new Error(`public key must be ${PUBLIC_KEY_BYTES} bytes, uncompressed`);
  return subtle().importKey("raw", raw, ECDH, false, []);
}

/** ECDH → HKDF-SHA-256(salt, HKDF_INFO) → non-extractable AES-256-GCM key. */
export async function deriveAesKey(privateKey: CryptoKey, peerPublicKey: CryptoKey, salt: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (salt.length !== SALT_BYTES) throw new Error(`salt must be ${SALT_BYTES} bytes`);
  const secret = await subtle().deriveBits({ name: "ECDH", public: peerPublicKey }, privateKey, 256);
  const ikm = await subtle().importKey("raw", secret, "HKDF", false, ["deriveKey"]);
  return subtle().deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(HKDF_INFO) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

// ---- frames ---------------------------------------------------------------------------------

const TWO_32 = 2 ** 32;

function makeIv(direction: Direction, counter: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(IV_BYTES);
  const view = new DataView(iv.buffer);
  view.setUint32(0, direction);
  view.setUint32(4, Math.floor(counter / TWO_32));
  view.setUint32(8, counter >>> 0);
  return iv;
}

/** Prefix and counter of an IV; `counter` is -1 when it is 2^53 or more (then not the layout). */
function readIv(iv: Uint8Array<ArrayBuffer>): { direction: number; counter: number } {
  const view = new DataView(iv.buffer);
  const high = view.getUint32(4);
  return { direction: view.getUint32(0), counter: high < 0x200000 ? high * TWO_32 + view.getUint32(8) : -1 };
}

/**
 * One direction-aware AES-GCM channel over a derived key, with the receive rules of the module
 * header. `seal` and `open` are each serialised (each call settles after the previous one), so
 * results come back in call order and the replay checks run in the order frames arrived.
 */
export class FrameCipher {
  private sent = 0;
  private accepted = 0;
  /** Made on the first random-IV frame only. */
  private randomIvs: IvMemory | undefined;
  private sealing: Promise<unknown> = Promise.resolve();
  private opening: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly key: CryptoKey,
    private readonly sends: Direction,
    private readonly receives: Direction,
    private readonly randomIvMemory: number = RANDOM_IV_MEMORY,
  ) {}

  /** Encrypts UTF-8 text into `{iv, ct}`. */
  seal(plaintext: string): Promise<EncryptedPayload> {
    this.sent += 1;
    const iv = makeIv(this.sends, this.sent);
    const run = this.sealing.then(async () => {
      const ct = await subtle().encrypt({ name: "AES-GCM", iv }, this.key, encoder.encode(plaintext));
      return { iv: toBase64(iv), ct: toBase64(new Uint8Array(ct)) };
    });
    this.sealing = run.catch(() => undefined);
    return run;
  }

  /** Decrypts `{iv, ct}` into UTF-8 text; rejects a malformed, forged, reflected or replayed payload. */
  open(payload: unknown): Promise<string> {
    const run = this.opening.then(() => this.openNow(payload));
    this.opening = run.catch(() => undefined);
    return run;
  }

  private async openNow(payload: unknown): Promise<string> {
    const { iv: ivText, ct: ctText } = (typeof payload === "object" && payload !== null ? payload : {}) as Record<string, unknown>;
    const iv = fromBase64(ivText);
    const ct = fromBase64(ctText);
    if (iv.length !== IV_BYTES || ct.length < TAG_BYTES) throw new Error("malformed encrypted payload");
    const { direction, counter } = readIv(iv);
    if (direction === this.sends && counter >= 1 && counter <= this.sent) throw new Error("reflected frame: sealed for the other direction");
    const counted = direction === this.receives && counter >= 0;
    if (counted && counter <= this.accepted) throw new Error("replayed or reordered frame");
    if (!counted && this.randomIvs?.has(iv)) throw new Error("replayed frame: random IV seen before");
    const plain = await subtle().decrypt({ name: "AES-GCM", iv }, this.key, ct);
    if (counted) this.accepted = counter;
    else (this.randomIvs ??= new IvMemory(this.randomIvMemory)).add(iv);
    return decoder.decode(plain);
  }
}

/** The inner frame: `{event, data}` plus `id`/`seq`/`room` when present; nothing else. */
export function innerFrame(frame: PlainFrame): PlainFrame {
  const inner: PlainFrame = { event: frame.event, data: frame.data };
  if (frame.id !== undefined) inner.id = frame.id;
  if (frame.seq !== undefined) inner.seq = frame.seq;
  if (frame.room !== undefined) inner.room = frame.room;
  return inner;
}

function parsePlainFrame(text: string): PlainFrame {
  const value: unknown = JSON.parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as PlainFrame).event !== "string") {
    throw new Error("decrypted payload is not a frame");
  }
  return value as PlainFrame;
}

/**
 * The client side of the handshake: derives the session key from `connected.data.serverPublicKey`
 * and `connected.data.salt`. Rejects when either is invalid (treat that as a failed connection).
 */
export async function deriveSession(keys: ClientKeys, serverPublicKey: string, salt: string): Promise<ClientSession> {
  const peer = await importPublicKey(serverPublicKey);
  const key = await deriveAesKey(keys.privateKey, peer, fromBase64(salt));
  const cipher = new FrameCipher(key, Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT);
  return {
    async encrypt(frame) {
      const data = await cipher.seal(JSON.stringify(innerFrame(frame)));
      return frame.id === undefined ? { event: "encrypted", data } : { event: "encrypted", data, id: frame.id };
    },
    async decrypt(data) {
      return parsePlainFrame(await cipher.open(data));
    },
  };
}
