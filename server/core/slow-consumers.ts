/**
 * @module server/core/slow-consumers
 * The slow-consumer policy: a send buffer above `backpressureLimit` for `slowConsumerGraceMs`,
 * or above HARD_BUFFER_FACTOR × the limit at any check, closes the client with 4006.
 *
 * Reading a socket's buffered amount is a native call that is far from free, so the check is
 * incremental and lazy: each tick looks at the sockets already known to be slow plus a bounded
 * batch of the others (a full pass over 10,000 sockets takes a few ticks), and a new pass only
 * starts when something was sent since the last one began — without outbound traffic, buffers
 * can only shrink.
 */
import { CloseCodes } from "../../shared/close-codes.ts";
import type { Clock } from "./clock.ts";
import type { Session } from "./session.ts";
import type { HubStats } from "./stats.ts";

/** A buffer this many times the limit is cut at once, without waiting for the grace period. */
export const HARD_BUFFER_FACTOR = 8;
/** How often the policy runs. */
export const SLOW_CONSUMER_CHECK_MS = 250;
/** Sockets looked at per tick besides the known slow ones. */
export const SWEEP_BATCH = 2500;

export class SlowConsumerPolicy {
  /** Sessions whose buffer is above the limit, with when it was first seen there (the one record of it). */
  private readonly slow = new Map<Session, number>();
  private cursor?: Iterator<Session>;
  private passStartedAt = -1;
  private lastPassStart = -1;

  constructor(
    private readonly sessions: ReadonlyMap<string, Session>,
    private readonly stats: HubStats,
    private readonly limit: number,
    private readonly graceMs: number,
    private readonly clock: Clock,
  ) {}

  tick(): void {
    const now = this.clock.now();
    for (const session of this.slow.keys()) this.check(session, now);
    if (!this.cursor) {
      if (this.stats.messagesOut === this.lastPassStart) return;
      this.cursor = this.sessions.values();
      this.passStartedAt = this.stats.messagesOut;
    }
    for (let budget = SWEEP_BATCH; budget > 0; budget--) {
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        this.lastPassStart = this.passStartedAt;
        return;
      }
      if (!this.slow.has(next.value)) this.check(next.value, now);
    }
  }

  /** A closed session, or one whose buffer drained (the transport says so), is no longer slow. */
  forget(session: Session): void {
    this.slow.delete(session);
  }

  /** When the session's buffer was first seen above the limit; 0 when it is not slow. */
  slowSince(session: Session): number {
    return this.slow.get(session) ?? 0;
  }

  private check(session: Session, now: number): void {
    if (!session.isOpen) return void this.slow.delete(session);
    const buffered = session.conn.bufferedAmount();
    const since = this.slow.get(session);
    if (buffered <= this.limit) {
      this.slow.delete(session);
    } else if (buffered > this.limit * HARD_BUFFER_FACTOR) {
      session.close(CloseCodes.SLOW_CONSUMER);
    } else if (since === undefined) {
      this.slow.set(session, now);
    } else if (now - since >= this.graceMs) {
      session.close(CloseCodes.SLOW_CONSUMER);
    }
  }
}
