/**
 * @module bench/lib/wsproto
 * A minimal RFC 6455 client codec for load generation: the upgrade request, masked text/pong
 * frames, and a streaming parser of the server's (unmasked) frames.
 *
 * Why not a WebSocket client library: every server under test is driven by the same client code,
 * and that code must be cheap enough (one callback per TCP read, frames counted by prefix without
 * decoding) that the server, not the load generator, is what a run measures.
 *
 * Contract: the parser calls `onFrame` once per complete data frame in arrival order, with the
 * payload as a view that is only valid during the call. Fragmented messages are not expected
 * (no server under test fragments frames this small) and are delivered fragment by fragment.
 */

export const Opcodes = { TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

const encoder = new TextEncoder();

/** The HTTP/1.1 upgrade request for `path` on `host:port`. */
export function upgradeRequest(host: string, port: number, path: string): Uint8Array {
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const text =
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: switchboard-bench\r\n\r\n`;
  return encoder.encode(text);
}

/**
 * A client frame. The masking key is all zeros (a valid key per RFC 6455 §5.3), which leaves the
 * payload bytes unchanged and spares the load generator an XOR pass.
 */
export function clientFrame(opcode: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const len = body.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = new Uint8Array(headerLen + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) {
    out[1] = 0x80 | len;
  } else if (len < 65536) {
    out[1] = 0x80 | 126;
    out[2] = len >>> 8;
    out[3] = len & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(len));
  }
  out.set(body, headerLen + 4);
  return out;
}

export type FrameHandler = (opcode: number, payload: Uint8Array) => void;

/** Streaming parser of server frames; keeps the tail of a frame split across TCP reads. */
export class FrameParser {
  private rest: Uint8Array | undefined;

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.rest) {
      const joined = new Uint8Array(this.rest.length + chunk.length);
      joined.set(this.rest);
      joined.set(chunk, this.rest.length);
      buf = joined;
      this.rest = undefined;
    }
    let off = 0;
    while (off < buf.length) {
      const used = this.frameAt(buf, off);
      if (used === 0) break;
      off += used;
    }
    if (off < buf.length) this.rest = buf.slice(off);
  }

  /** Bytes consumed by the complete frame at `off`, or 0 when it is not complete yet. */
  private frameAt(buf: Uint8Array, off: number): number {
    if (buf.length - off < 2) return 0;
    const b1 = buf[off + 1]!;
    let len = b1 & 0x7f;
    let header = 2;
    if (len === 126) {
      if (buf.length - off < 4) return 0;
      len = (buf[off + 2]! << 8) | buf[off + 3]!;
      header = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) return 0;
      len = Number(new DataView(buf.buffer, buf.byteOffset + off + 2, 8).getBigUint64(0));
      header = 10;
    }
    if (b1 & 0x80) header += 4; // servers never mask, but skip a key if one is there
    if (buf.length - off < header + len) return 0;
    this.onFrame(buf[off]! & 0x0f, buf.subarray(off + header, off + header + len));
    return header + len;
  }
}

/** True when `payload` starts with the bytes of `prefix`. */
export function startsWith(payload: Uint8Array, prefix: Uint8Array): boolean {
  if (payload.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (payload[i] !== prefix[i]) return false;
  return true;
}

/** Index just past the end of the HTTP response head, or -1 while it is incomplete. */
export function headEnd(buf: Uint8Array): number {
  for (let i = 3; i < buf.length; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** Reads the number after `"t":` in a JSON payload (the send timestamp of latency probes). */
export function readStamp(payload: Uint8Array): number {
  const text = new TextDecoder().decode(payload);
  const at = text.indexOf('"t":');
  return at < 0 ? Number.NaN : Number.parseFloat(text.slice(at + 4));
}
