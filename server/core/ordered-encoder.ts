/**
 * @module server/core/ordered-encoder
 * Encodes frames for sessions that have a codec (encrypted sessions) with two guarantees:
 * frames reach each session in the order they were enqueued for it, and at most `limit`
 * encodings run at once across the whole server (`encryptedBatchLimit`), so a broadcast to many
 * encrypted clients cannot starve the event loop. A frame whose encoding fails is dropped and
 * logged: there is never a plaintext fallback.
 */
import type { OutboundFrame } from "../../shared/protocol.ts";
import type { Logger, SessionCodec } from "./types.ts";

export interface EncodingTarget {
  readonly id: string;
  readonly codec?: SessionCodec;
  readonly isOpen: boolean;
  sendText(text: string): void;
}

export class OrderedEncoder {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly tails = new WeakMap<EncodingTarget, Promise<void>>();

  constructor(
    private readonly limit: number,
    private readonly log: Logger,
  ) {}

  enqueue(target: EncodingTarget, frame: OutboundFrame): void {
    const previous = this.tails.get(target) ?? Promise.resolve();
    const next = previous.then(() => this.encodeOne(target, frame));
    this.tails.set(target, next);
  }

  /** Resolves when everything enqueued for the target so far has been written or dropped. */
  flushed(target: EncodingTarget): Promise<void> {
    return this.tails.get(target) ?? Promise.resolve();
  }

  private async encodeOne(target: EncodingTarget, frame: OutboundFrame): Promise<void> {
    if (!target.isOpen || !target.codec) return;
    await this.acquire();
    try {
      const text = await target.codec.encode(frame);
      target.sendText(text);
    } catch (err) {
      this.log.error({ clientId: target.id, event: frame.event, err: String(err) }, "outbound encoding failed; frame dropped");
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> | void {
    if (this.active < this.limit) {
      this.active += 1;
      return;
    }
    // The slot is handed over by release() without being freed, so the limit is never exceeded.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
  }
}
