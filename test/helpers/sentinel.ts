/**
 * A well-behaved client that must not notice an attack: it sits in a room that receives a
 * steady numbered stream (`tick` {n}) while the test misbehaves elsewhere, and at the end it
 * must have received every tick exactly once, in order.
 *
 * The stream is driven by `emit(n)`: the library call of an in-process server, or a REST emit
 * to a server process.
 */
import { expect } from "bun:test";
import type { TestClient } from "./ws-client.ts";

export class Sentinel {
  private sent = 0;
  private timer?: ReturnType<typeof setInterval>;
  private pending: Promise<unknown> = Promise.resolve();
  private failures: unknown[] = [];

  constructor(
    readonly client: TestClient,
    private readonly emit: (event: string, data: unknown) => Promise<unknown>,
    private readonly periodMs = 5,
  ) {}

  /** Starts the stream (one tick every `periodMs`, each sent after the previous one resolved). */
  start(): this {
    this.timer = setInterval(() => {
      const n = this.sent++;
      this.pending = this.pending.then(() => this.emit("tick", { n })).catch((err) => void this.failures.push(err));
    }, this.periodMs);
    return this;
  }

  get ticksSent(): number {
    return this.sent;
  }

  /** Ticks received so far. */
  received(): number[] {
    return this.client.frames.filter((f) => f.event === "tick").map((f) => f.data.n as number);
  }

  /**
   * Stops the stream, sends a final marker, waits for it, and checks that every tick arrived
   * exactly once and in order, and that the sentinel's socket is still open.
   */
  async stopAndCheck(timeoutMs = 10_000): Promise<void> {
    clearInterval(this.timer);
    await this.pending;
    expect(this.failures.map(String)).toEqual([]);
    await this.emit("tick-end", { sent: this.sent });
    await this.client.waitFor((f) => f.event === "tick-end", timeoutMs, "the sentinel's end marker");
    expect(this.client.isClosed).toBe(false);
    expect(lossReport(this.received(), this.sent)).toEqual({ missing: [], duplicated: [], outOfOrder: 0 });
  }
}

/** What went wrong with a stream that should be 0..sent-1 (first 20 of each). */
export function lossReport(got: number[], sent: number): { missing: number[]; duplicated: number[]; outOfOrder: number } {
  const seen = new Set<number>();
  const duplicated: number[] = [];
  let outOfOrder = 0;
  got.forEach((n, i) => {
    if (seen.has(n)) duplicated.push(n);
    seen.add(n);
    if (i > 0 && n < got[i - 1]!) outOfOrder += 1;
  });
  const missing: number[] = [];
  for (let n = 0; n < sent && missing.length < 20; n++) if (!seen.has(n)) missing.push(n);
  return { missing, duplicated: duplicated.slice(0, 20), outOfOrder };
}
