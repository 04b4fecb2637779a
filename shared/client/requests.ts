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

type Waiter<T> = { resolve(value: T): void; reject(err: SwitchboardError): void };

/** Callers waiting for the next connection; each settles once (connected, closed, or its own timeout). */
export class ConnectWaiters<T> {
  private waiters: Array<Waiter<T>> = [];

  constructor(private readonly clock: Clock) {}

  /** Waits for `resolveAll`/`rejectAll`; with `timeoutMs`, rejects `timeout` after it. */
  wait(timeoutMs?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (timeoutMs === undefined) return this.waiters.push({ resolve, reject });
      const timer = this.clock.setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new SwitchboardError(LocalErrorCodes.TIMEOUT, `not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter<T> = {
        resolve: (value) => (this.clock.clearTimeout(timer), resolve(value)),
        reject: (err) => (this.clock.clearTimeout(timer), reject(err)),
      };
      this.waiters.push(waiter);
    });
  }

  resolveAll(value: T): void {
    for (const w of this.take()) w.resolve(value);
  }

  rejectAll(err: SwitchboardError): void {
    for (const w of this.take()) w.reject(err);
  }

  private take(): Array<Waiter<T>> {
    const all = this.waiters;
    this.waiters = [];
    return all;
  }
}
