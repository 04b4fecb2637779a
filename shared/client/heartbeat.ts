/**
 * @module shared/client/heartbeat
 * Application heartbeats on a connected session: every `intervalMs` a `heartbeat` with an `id`
 * goes out (the first one right away, so `rtt` is known early); the server answers with the same
 * `id`, which gives the round-trip time. A server is dead when a heartbeat stays unanswered for
 * `timeoutMs` and no other frame arrived meanwhile (any frame proves the server alive: a busy
 * link may queue the reply behind other traffic).
 */
import type { Clock } from "./types.ts";

export interface HeartbeatHooks {
  send(id: string): boolean;
  rtt(ms: number): void;
  dead(): void;
}

export class Heartbeat {
  private counter = 0;
  private outstanding?: { id: string; sentAt: number };
  private lastFrameAt = 0;
  private tick?: unknown;
  private deadline?: unknown;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly hooks: HeartbeatHooks,
  ) {}

  start(): void {
    this.stop();
    if (this.intervalMs > 0) this.beat();
  }

  stop(): void {
    this.clock.clearTimeout(this.tick);
    this.clock.clearTimeout(this.deadline);
    this.tick = this.deadline = this.outstanding = undefined;
  }

  /** Any inbound frame. */
  activity(): void {
    this.lastFrameAt = this.clock.now();
  }

  /** A `heartbeat` reply; replies to older heartbeats are ignored. */
  reply(id: unknown): void {
    if (!this.outstanding || id !== this.outstanding.id) return;
    this.hooks.rtt(this.clock.now() - this.outstanding.sentAt);
    this.outstanding = undefined;
    this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private beat(): void {
    this.counter += 1;
    const id = `h${this.counter}`;
    if (!this.outstanding) {
      this.outstanding = { id, sentAt: this.clock.now() };
      this.armDeadline(this.outstanding.sentAt);
    }
    // While one is unanswered, later beats still go out (they keep the server's idle timer fed)
    // but the deadline stays with the first one.
    this.hooks.send(id);
    this.tick = this.clock.setTimeout(() => this.beat(), this.intervalMs);
  }

  private armDeadline(since: number): void {
    this.deadline = this.clock.setTimeout(() => {
      if (!this.outstanding) return;
      if (this.lastFrameAt > since) return this.armDeadline(this.clock.now());
      this.hooks.dead();
    }, this.timeoutMs);
  }
}
