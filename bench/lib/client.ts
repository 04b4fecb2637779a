/**
 * @module bench/lib/client
 * One load-generator connection over a raw TCP socket (`Bun.connect`): the upgrade, the
 * protocol dialogue up to "ready", then every data frame handed to the worker's sink. Frames are
 * written whole; what the kernel does not take at once is queued and flushed on `drain`.
 */
import type { Socket } from "bun";
import { type Protocol } from "./protocols.ts";
import { clientFrame, FrameParser, headEnd, Opcodes, upgradeRequest } from "./wsproto.ts";

/** Receives the frames of ready connections (the measurement hot path). */
export interface FrameSink {
  onData(client: Client, payload: Uint8Array): void;
}

export interface ClientTarget {
  host: string;
  port: number;
}

const decoder = new TextDecoder();

export class Client {
  socket?: Socket<Client>;
  isReady = false;
  closed = false;
  /** The socket is gone (close callback ran, or it never opened). */
  gone = false;
  /** When the outstanding heartbeat was sent (0 = none outstanding). */
  heartbeatAt = 0;
  private upgraded = false;
  private head?: Uint8Array;
  private pending: Uint8Array[] = [];
  private readonly parser: FrameParser;
  private settle?: (error?: string) => void;

  constructor(
    readonly proto: Protocol,
    private readonly sink: FrameSink,
    readonly token?: string,
    readonly room?: string,
  ) {
    this.parser = new FrameParser((op, payload) => this.onFrame(op, payload));
  }

  /** Resolves when ready, rejects with the reason when the dialogue fails or times out. */
  open(target: ClientTarget, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail("setup timed out"), timeoutMs);
      this.settle = (error) => {
        clearTimeout(timer);
        this.settle = undefined;
        if (error === undefined) resolve();
        else reject(new Error(error));
      };
      Bun.connect<Client>({ hostname: target.host, port: target.port, data: this, socket: HANDLERS }).then(
        (socket) => {
          this.socket = socket;
          this.write(upgradeRequest(target.host, target.port, this.proto.path));
        },
        (err: unknown) => this.fail(`connect: ${String(err)}`),
      );
    });
  }

  sendText(text: string): void {
    this.write(clientFrame(Opcodes.TEXT, text));
  }

  ready(): void {
    this.isReady = true;
    this.settle?.();
  }

  fail(reason: string): void {
    this.settle?.(reason);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) this.socket.end();
    else this.gone = true;
  }

  write(bytes: Uint8Array): void {
    const socket = this.socket;
    if (!socket || this.closed) return;
    if (this.pending.length > 0) {
      this.pending.push(bytes);
      return;
    }
    const n = socket.write(bytes);
    if (n < bytes.length) this.pending.push(bytes.subarray(Math.max(0, n)));
  }

  flush(): void {
    const socket = this.socket;
    while (socket && this.pending.length > 0) {
      const bytes = this.pending[0]!;
      const n = socket.write(bytes);
      if (n < bytes.length) {
        this.pending[0] = bytes.subarray(Math.max(0, n));
        return;
      }
      this.pending.shift();
    }
  }

  receive(chunk: Uint8Array): void {
    if (this.upgraded) return this.parser.push(chunk);
    const buf = this.head ? concat(this.head, chunk) : chunk;
    const end = headEnd(buf);
    if (end < 0) {
      this.head = buf.slice();
      return;
    }
    this.head = undefined;
    const status = decoder.decode(buf.subarray(0, Math.min(end, 64)));
    if (!status.startsWith("HTTP/1.1 101")) return this.fail(`upgrade refused: ${status.split("\r\n")[0]}`);
    this.upgraded = true;
    this.proto.start(this);
    if (end < buf.length) this.parser.push(buf.subarray(end));
  }

  private onFrame(op: number, payload: Uint8Array): void {
    if (op === Opcodes.TEXT || op === Opcodes.BINARY) {
      if (this.isReady) this.sink.onData(this, payload);
      else this.proto.setupFrame(this, decoder.decode(payload));
    } else if (op === Opcodes.PING) {
      this.write(clientFrame(Opcodes.PONG, payload.slice()));
    } else if (op === Opcodes.CLOSE) {
      const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
      this.fail(`closed by server (${code} ${decoder.decode(payload.subarray(2))})`);
    }
  }

  onClosed(): void {
    this.closed = true;
    this.gone = true;
    this.isReady = false;
    this.settle?.("socket closed");
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const HANDLERS = {
  data(socket: Socket<Client>, chunk: Uint8Array) {
    socket.data.receive(chunk);
  },
  drain(socket: Socket<Client>) {
    socket.data.flush();
  },
  close(socket: Socket<Client>) {
    socket.data.onClosed();
  },
  error(socket: Socket<Client>, err: Error) {
    socket.data.fail(`socket error: ${err.message}`);
  },
  connectError(socket: Socket<Client>, err: Error) {
    socket.data.fail(`connect: ${err.message}`);
  },
};
