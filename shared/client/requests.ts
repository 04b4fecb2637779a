/**
 * @module shared/client/requests
 * Frames sent with an `id`, waiting for their `ack`. Each settles exactly once: from the ack,
 * on timeout, or when the connection it was sent on goes away (`disconnected`: the server may
 * or may not have handled it).
 */
import type { AckData } from "../protocol.ts";
import { LocalErrorCodes, SwitchboardError, type Clock } from "./types.ts";

interface Pending {
  resolve(result: unknown): void;
  reject(err: SwitchboardError): void;
  timer: unknown;
}

export class PendingRequests {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  constructor(private readonly clock: Clock) {}

  /** A new correlation id (`r1`, `r2`, … per client). */
  nextId(): string {
    this.counter += 1;
    return `r${this.counter}`;
  }

  /** Registers `id`; the promise settles from `settle`, after `timeoutMs`, or from `rejectAll`. */
  wait<R>(id: string, timeoutMs: number, event: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new SwitchboardError(LocalErrorCodes.TIMEOUT, `no ack for "${event}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
    });
  }

  /** Handles an `ack` frame; unknown ids (late acks after a timeout) are ignored. */
  settle(ack: AckData): void {
    const entry = this.pending.get(ack.id);
    if (!entry) return;
    this.pending.delete(ack.id);
    this.clock.clearTimeout(entry.timer);
    if (ack.ok) entry.resolve(ack.result);
    else entry.reject(new SwitchboardError(ack.error?.code ?? "error", ack.error?.message ?? "request failed"));
  }

  rejectAll(code: string, message: string): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      this.clock.clearTimeout(entry.timer);
      entry.reject(new SwitchboardError(code, message));
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
