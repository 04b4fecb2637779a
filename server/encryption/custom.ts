/**
 * @module server/encryption/custom
 * Adapts Ignis-style `handshake` + `outboundTransformer` hooks to the core's codec seam. The
 * transformer returning null/undefined is an error (the frame is dropped), never a plaintext
 * fallback (ignis §11.1 #3).
 */
import type { CodecFactory, HandshakeHook, OutboundTransformer } from "../core/types.ts";

export function customCodecFactory(handshake: HandshakeHook, transformer: OutboundTransformer): CodecFactory {
  return async ({ clientId, userId, data, record }) => {
    const keys = await handshake({ clientId, userId, data });
    if (!keys) return false;
    return {
      serverPublicKey: keys.serverPublicKey,
      salt: keys.salt,
      codec: {
        async encode(frame) {
          const out = await transformer({ client: record, event: frame.event, data: frame.data });
          if (!out) throw new Error("outboundTransformer returned nothing for an encrypted client");
          return JSON.stringify(out);
        },
      },
    };
  };
}
