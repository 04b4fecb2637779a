/**
 * A WebSocket client over a raw TCP socket, for frames no WebSocket API can send: text frames
 * with invalid UTF-8, unmasked or reserved-opcode frames, lying length headers, fragments.
 * It reads the server's frames (unmasked, as servers send them) and the close code.
 */
import { connect, type Socket } from "node:net";

export interface RawFrame {
  opcode: number;
  payload: Buffer;
}

export interface EncodeOptions {
  fin?: boolean;
  masked?: boolean;
  rsv?: number;
  /** Length to announce instead of the real one. */
  declaredLength?: number;
}

/** One client frame (masked by default, as RFC 6455 requires of clients). */
export function encodeFrame(opcode: number, payload: Uint8Array, o: EncodeOptions = {}): Buffer {
  const masked = o.masked ?? true;
  const len = o.declaredLength ?? payload.length;
  const first = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  const maskBit = masked ? 0x80 : 0;
  let head: Buffer;
  if (len < 126) head = Buffer.from([first, maskBit | len]);
  else if (len < 65536) head = Buffer.from([first, maskBit | 126, len >> 8, len & 255]);
  else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([head, Buffer.from(payload)]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([head, mask, body]);
}

export class RawWebSocket {
  readonly frames: RawFrame[] = [];
  closeCode?: number;
  private buffer = Buffer.alloc(0);
  private upgraded = false;
  private onCloseFrame?: () => void;
  /** Resolves at the server's close frame or the end of the TCP connection, whichever is first. */
  readonly ended: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.ended = new Promise((resolve) => {
      this.onCloseFrame = resolve;
      socket.once("close", () => resolve());
    });
    socket.on("error", () => undefined);
  }

  /** Opens a TCP connection and completes the upgrade handshake on `path`. */
  static open(port: number, path: string, headers: Record<string, string> = {}, timeoutMs = 3000): Promise<RawWebSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      const ws = new RawWebSocket(socket);
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`raw upgrade on ${path} timed out`))), timeoutMs);
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      socket.once("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`));
      socket.on("data", (chunk: Buffer) => {
        ws.buffer = Buffer.concat([ws.buffer, chunk]);
        if (!ws.upgraded) {
          const end = ws.buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = ws.buffer.subarray(0, end).toString();
          ws.buffer = ws.buffer.subarray(end + 4);
          clearTimeout(timer);
          if (!head.startsWith("HTTP/1.1 101")) return (socket.destroy(), reject(new Error(`upgrade refused: ${head.split("\r\n")[0]}`)));
          ws.upgraded = true;
          resolve(ws);
        }
        ws.parse();
      });
      socket.once("close", () => (clearTimeout(timer), reject(new Error("closed before the upgrade"))));
    });
  }

  private parse(): void {
    for (;;) {
      if (this.buffer.length < 2) return;
      let len = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + len) return;
      const frame = { opcode: this.buffer[0]! & 0x0f, payload: Buffer.from(this.buffer.subarray(offset, offset + len)) };
      this.buffer = this.buffer.subarray(offset + len);
      this.frames.push(frame);
      if (frame.opcode === 8) {
        this.closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        this.onCloseFrame?.();
      }
    }
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendText(payload: string | Uint8Array, o?: EncodeOptions): void {
    this.write(encodeFrame(1, typeof payload === "string" ? Buffer.from(payload) : payload, o));
  }

  /** The JSON text frames received so far. */
  texts(): unknown[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString()));
  }

  /** Resolves with the server's close code (1006 when the TCP connection ended without one). */
  async closed(timeoutMs = 3000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`raw socket not closed within ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return this.closeCode ?? 1006;
  }

  /** Stops reading: the kernel buffers fill and the server's send buffer for this socket grows. */
  pause(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
