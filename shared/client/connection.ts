/**
 * @module shared/client/connection
 * One WebSocket attempt: open → `authenticate` (with a fresh public key unless encryption is
 * off) → plaintext `connected` → key derivation when the server sent `serverPublicKey` + `salt`
 * → then every frame in arrival order, decrypted when the session is encrypted.
 *
 * Contracts:
 * - `closed` is reported exactly once, whether the socket closed, failed, or `abort` was called;
 *   nothing is reported after it.
 * - Inbound order is kept: frames of an encrypted session go through one promise chain.
 * - An encrypted session never accepts a plaintext frame after `connected` (SPEC §3.2 item 1):
 *   one is a protocol error that ends the connection; so is a frame that fails to decrypt.
 * - Outbound frames of an encrypted session are encrypted too, in call order.
 */
import { parseJsonObject } from "../json.ts";
import { CloseCodes } from "../close-codes.ts";
import { WebSocketEvents as Events } from "../constants.ts";
import { createClientKeys, deriveSession, type ClientKeys, type ClientSession, type PlainFrame } from "../crypto.ts";
import type { ConnectedData } from "../protocol.ts";
import type { EncryptionPreference, ServerFrame, WebSocketConstructor, WebSocketLike } from "./types.ts";

/** Standard WebSocket close code 1002 (protocol error): a frame the client cannot accept. */
export const PROTOCOL_ERROR = { code: 1002, reason: "Protocol error" } as const;
const OPEN = 1;

/** One connection attempt as the client drives it: the WebSocket one below, or the SSE one (sse.ts). */
export interface ClientConnection {
  readonly encrypted: boolean;
  /** False when nothing was sent (not open, or a receive-only transport). */
  send(frame: PlainFrame): boolean;
  /** Ends the attempt and reports `closed(code, reason)` right away. */
  abort(code: number, reason: string): void;
}

/** The event names the application has handlers for (an EventSource must subscribe by name). */
export interface EventNames {
  names(): Iterable<string>;
  /** Calls `fn` with each name that gets its first handler from now on; returns the unsubscribe. */
  watch(fn: (name: string) => void): () => void;
}

export interface ConnectionHandlers {
  /** The socket is open and `authenticate` is about to go out. */
  opened(): void;
  /** `connected` arrived and, for an encrypted session, the key is derived. */
  connected(data: ConnectedData, encrypted: boolean): void;
  /** Every later frame (and `error`/`ack` frames before `connected`), decoded. */
  frame(frame: ServerFrame): void;
  closed(code: number, reason: string): void;
  names?: EventNames;
}

export interface ConnectionSetup {
  url: string;
  WebSocket: WebSocketConstructor;
  encryption: EncryptionPreference;
  /** `authenticate.data` without `publicKey` (token, type and plugin fields). */
  auth: Record<string, unknown>;
}

export class Connection implements ClientConnection {
  private readonly ws: WebSocketLike;
  private readonly keys?: Promise<ClientKeys | undefined>;
  private session?: ClientSession;
  /** Set once `connected` carried a server key: later frames wait for the derivation. */
  private inbound?: Promise<unknown>;
  private done = false;

  constructor(private readonly setup: ConnectionSetup, private readonly on: ConnectionHandlers) {
    if (setup.encryption !== "off") this.keys = createKeys(setup.encryption);
    this.ws = new setup.WebSocket(setup.url);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => {
      this.on.opened();
      void this.authenticate();
    };
    this.ws.onmessage = (ev: { data: unknown }) => this.receive(ev.data);
    this.ws.onclose = (ev: { code?: number; reason?: string }) => this.finish(ev.code ?? 1006, ev.reason ?? "");
    this.ws.onerror = () => undefined; // a close event follows every error
  }

  get encrypted(): boolean {
    return this.session !== undefined;
  }

  /** Sends a frame (encrypted when the session is); false when the socket is not open. */
  send(frame: PlainFrame): boolean {
    if (this.done || this.ws.readyState !== OPEN) return false;
    const session = this.session;
    if (!session) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    // encrypt() settles in call order, so the sends below happen in call order too.
    session.encrypt(frame).then(
      (sealed) => {
        if (!this.done && this.ws.readyState === OPEN) this.ws.send(JSON.stringify(sealed));
      },
      () => this.abort(PROTOCOL_ERROR.code, "Encryption failed"),
    );
    return true;
  }

  /** Closes the socket (normal closure) and reports `closed(code, reason)` right away. */
  abort(code: number, reason: string): void {
    if (this.done) return;
    try {
      this.ws.close(CloseCodes.CLIENT_CLOSED.code, reason.slice(0, 120));
    } catch {
      // a socket still connecting may refuse close() in some runtimes; it is detached anyway
    }
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.ws.onopen = this.ws.onmessage = this.ws.onclose = this.ws.onerror = null;
    this.on.closed(code, reason);
  }

  private async authenticate(): Promise<void> {
    let keys: ClientKeys | undefined;
    try {
      keys = await this.keys;
    } catch (err) {
      return this.abort(CloseCodes.ENCRYPTION_REQUIRED.code, `Encryption unavailable: ${(err as Error).message}`);
    }
    if (this.done) return;
    const data = keys ? { ...this.setup.auth, publicKey: keys.publicKey } : this.setup.auth;
    this.ws.send(JSON.stringify({ event: Events.AUTHENTICATE, data }));
  }

  private receive(raw: unknown): void {
    if (this.done) return;
    const frame = parse(raw);
    if (!frame) return;
    if (this.inbound) {
      this.inbound = this.inbound.then(() => this.openSealed(frame));
      return;
    }
    if (frame.event === Events.CONNECTED) return this.onConnected(frame.data as ConnectedData);
    this.on.frame(frame);
  }

  private onConnected(data: ConnectedData): void {
    const offered = data?.serverPublicKey !== undefined && data?.salt !== undefined;
    if (!offered) {
      if (this.setup.encryption === "required") {
        return this.abort(CloseCodes.ENCRYPTION_REQUIRED.code, "The server did not encrypt the session");
      }
      return this.on.connected(data, false);
    }
    const derive = this.keys?.then((keys) => {
      if (!keys) throw new Error("no client key");
      return deriveSession(keys, data.serverPublicKey!, data.salt!);
    });
    this.inbound = (derive ?? Promise.reject(new Error("no client key"))).then(
      (session) => {
        if (this.done) return;
        this.session = session;
        this.on.connected(data, true);
      },
      () => this.abort(PROTOCOL_ERROR.code, "Key exchange failed"),
    );
  }

  /** A frame of an encrypted session: only `encrypted` frames are accepted after `connected`. */
  private async openSealed(frame: ServerFrame): Promise<void> {
    const session = this.session;
    if (this.done || !session) return;
    if (frame.event !== Events.ENCRYPTED) return this.abort(PROTOCOL_ERROR.code, "Plaintext frame on an encrypted session");
    let inner: ServerFrame;
    try {
      inner = await session.decrypt(frame.data);
    } catch {
      return this.abort(PROTOCOL_ERROR.code, "Decryption failed");
    }
    if (!this.done) this.on.frame(inner);
  }
}

async function createKeys(mode: EncryptionPreference): Promise<ClientKeys | undefined> {
  try {
    return await createClientKeys();
  } catch (err) {
    // `auto` goes on without encryption where WebCrypto is missing (plain http pages).
    if (mode === "required") throw err;
    return undefined;
  }
}

function parse(raw: unknown): ServerFrame | undefined {
  let text: string;
  if (typeof raw === "string") text = raw;
  else if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) text = new TextDecoder().decode(raw as ArrayBuffer);
  else return undefined;
  const frame = parseJsonObject<ServerFrame>(text);
  return typeof frame?.event === "string" ? frame : undefined;
}
