/**
 * @module server/encryption/ecdh
 * The built-in encryption (SPEC §5, ignis §8.3): a `CodecFactory` that needs no user code and is
 * used whenever ENCRYPTION is not `off` and no custom `handshake`/`outboundTransformer` is given.
 *
 * Per connection: the client's `authenticate.data.publicKey` (raw uncompressed P-256, base64) is
 * imported, a fresh server key pair and a random 32-byte salt are made, and HKDF-SHA-256 (info
 * `ignis-ecdh-p256-aes-256-gcm-v1`) turns the ECDH secret into an AES-256-GCM key that lives only
 * in the returned codec (nothing is stored elsewhere, nothing is extractable).
 *   - `serverPublicKey` and `salt` go to the client in the plaintext `connected` (the hub sends it
 *     before installing the codec).
 *   - `encode`: every later frame becomes `{"event":"encrypted","data":{"iv","ct"}}` whose
 *     plaintext is `{event, data}` (+ `seq`/`room` when the frame has them).
 *   - `decode`: opens an inbound `encrypted` frame's data to the inner frame's JSON text. It
 *     accepts the SDK's counted IVs and the random IVs of SPEC §5 / Ignis-documented clients, and
 *     rejects forged, reflected, replayed and malformed payloads (shared/crypto states the IV rules
 *     and the cost of the per-session random-IV memory).
 *   - A rejected frame: the session answers an encrypted `error` "Decryption failed", plus a
 *     failed `ack` (code `invalid_format`) when the outer frame carries an `id` (the inner `id`
 *     is unreadable); the frame has no other effect and the connection stays open. Kept rather
 *     than closing because a refusal proves nothing against the client (a network replay or a
 *     bug in its crypto) and the rate limit already bounds the cost of a stream of bad frames.
 * An invalid key (not a string, not base64, not 65 bytes, not on the curve) throws, which the
 * auth flow turns into `error` "Encryption handshake failed" and close 4004.
 */
import { WebSocketEvents } from "../../shared/constants.ts";
import { deriveAesKey, Direction, FrameCipher, generateKeyPair, importPublicKey, innerFrame, randomBytes, SALT_BYTES, toBase64 } from "../../shared/crypto.ts";
import type { CodecFactory, HandshakeResult } from "../core/types.ts";

export function ecdhCodecFactory(): CodecFactory {
  return async ({ data }) => createEcdhSession(data.publicKey);
}

/** Runs the server half of the key agreement for one connection; throws on an invalid client key. */
export async function createEcdhSession(clientPublicKey: unknown): Promise<HandshakeResult> {
  const peer = await importPublicKey(clientPublicKey);
  const server = await generateKeyPair();
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveAesKey(server.privateKey, peer, salt);
  const cipher = new FrameCipher(key, Direction.SERVER_TO_CLIENT, Direction.CLIENT_TO_SERVER);
  return {
    serverPublicKey: server.publicKey,
    salt: toBase64(salt),
    codec: {
      async encode(frame) {
        const sealed = await cipher.seal(JSON.stringify(innerFrame(frame)));
        return JSON.stringify({ event: WebSocketEvents.ENCRYPTED, data: sealed });
      },
      decode: (payload) => cipher.open(payload),
    },
  };
}
