/**
 * @module server/core/expiry
 * Token expiries of every session on one clock timer: a binary min-heap of (time, session),
 * with the timer armed for the earliest entry.
 *
 * Why not a timer per session: a runtime timer with its closure costs about 0.8 KiB of
 * resident memory, which was the largest single item of an idle authenticated connection
 * (bench/scenarios/memory.ts); a heap entry costs two array slots.
 *
 * Contract: `expire(session)` runs once, at or after `at`, for an entry that is still current
 * — the session is open and its `expiresAt` still equals `at`. A refresh adds a new entry and
 * leaves the old one stale; closed sessions leave stale entries too. Stale entries are skipped
 * when they come due and purged in bulk once they are the majority, so the heap holds at most
 * about twice the live entries.
 */
import type { Clock } from "./clock.ts";

/** What the queue needs to know of a session. */
export interface Expiring {
  readonly isOpen: boolean;
  readonly expiresAt?: number;
}

/** Below this size stale entries are simply left to come due. */
const PURGE_MIN = 1024;

export class ExpiryQueue<S extends Expiring> {
  private times: number[] = [];
  private items: S[] = [];
  private stale = 0;
  private timer: unknown;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Clock,
    private readonly expire: (session: S) => void,
  ) {}

  get size(): number {
    return this.times.length;
  }

  add(session: S, at: number): void {
    this.push(at, session);
    if (at < this.timerAt) this.schedule();
  }

  /** Notes that an entry went stale (session closed or re-armed); purges when most are stale. */
  forget(): void {
    this.stale += 1;
    if (this.stale > PURGE_MIN && this.stale * 2 > this.times.length) this.purge();
  }

  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.times = [];
    this.items = [];
    this.stale = 0;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    while (this.times.length > 0 && this.times[0]! <= now) {
      const at = this.times[0]!;
      const session = this.pop();
      if (session.isOpen && session.expiresAt === at) this.expire(session);
      else this.stale = Math.max(0, this.stale - 1);
    }
    if (this.times.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const at = this.times[0]!;
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private purge(): void {
    const times: number[] = [];
    const items: S[] = [];
    for (let i = 0; i < this.times.length; i++) {
      const s = this.items[i]!;
      if (s.isOpen && s.expiresAt === this.times[i]) {
        times.push(this.times[i]!);
        items.push(s);
      }
    }
    this.times = [];
    this.items = [];
    this.stale = 0;
    for (let i = 0; i < times.length; i++) this.push(times[i]!, items[i]!);
  }

  private push(at: number, session: S): void {
    const t = this.times;
    const s = this.items;
    let i = t.length;
    t.push(at);
    s.push(session);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent]! <= at) break;
      t[i] = t[parent]!;
      s[i] = s[parent]!;
      i = parent;
    }
    t[i] = at;
    s[i] = session;
  }

  private pop(): S {
    const t = this.times;
    const s = this.items;
    const top = s[0]!;
    const lastT = t.pop()!;
    const lastS = s.pop()!;
    const n = t.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const child = left + 1 < n && t[left + 1]! < t[left]! ? left + 1 : left;
      if (t[child]! >= lastT) break;
      t[i] = t[child]!;
      s[i] = s[child]!;
      i = child;
    }
    t[i] = lastT;
    s[i] = lastS;
    return top;
  }
}
