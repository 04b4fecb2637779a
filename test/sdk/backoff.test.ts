/**
 * Backoff delays: exact bounds with an injected random source and clock, and the delays
 * observed between real connection attempts to a port where nothing listens.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { backoffBounds, backoffDelay, createClient, resolveReconnect, type Clock, type SwitchboardClient } from "../../shared/client/index.ts";
import { Recorder, waitFor } from "./helpers.ts";

const clients: SwitchboardClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

/** A manual clock: timers fire only when the test advances time. */
class ManualClock implements Clock {
  private t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => void this.timers.delete(id as number);

  /** Moves time forward and runs the timers that became due, in order. */
  advance(ms: number): void {
    this.t += ms;
    const due = [...this.timers.entries()].filter(([, t]) => t.at <= this.t).sort((a, b) => a[1].at - b[1].at);
    for (const [id, t] of due) {
      this.timers.delete(id);
      t.fn();
    }
  }
}

describe("backoff", () => {
  const o = resolveReconnect({ minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 });

  test("the ceiling grows by the factor per attempt and stops at maxDelayMs", () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffBounds(n, o).max)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  test("a delay stays within [ceiling × (1 − jitter), ceiling] for every random value", () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const { min, max } = backoffBounds(attempt, o);
      for (const r of [0, 0.25, 0.5, 0.999999, 1]) {
        const d = backoffDelay(attempt, o, () => r);
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max);
      }
    }
    expect(backoffDelay(2, o, () => 0)).toBe(200);
    expect(backoffDelay(2, o, () => 0.5)).toBe(300);
  });

  test("full jitter spans [0, ceiling]; no jitter is deterministic", () => {
    const full = resolveReconnect({ minDelayMs: 100, maxDelayMs: 1000, jitter: 1 });
    expect(backoffBounds(3, full)).toEqual({ min: 0, max: 800 });
    const none = resolveReconnect({ minDelayMs: 100, maxDelayMs: 1000, jitter: 0 });
    expect(backoffDelay(3, none, () => 0.7)).toBe(800);
  });

  test("invalid settings are refused at creation", () => {
    expect(() => resolveReconnect({ jitter: 2 })).toThrow(/jitter/);
    expect(() => resolveReconnect({ minDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
    expect(() => resolveReconnect({ factor: 0.5 })).toThrow(/factor/);
  });

  test("the client schedules each retry with the delay drawn for its attempt (injected clock and random)", async () => {
    const clock = new ManualClock();
    const draws = [0, 0.5, 1, 0.25, 0.75];
    let i = 0;
    const reconnect = { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };
    const c = createClient({ url: "ws://127.0.0.1:1/ws", token: "t", clock, random: () => draws[i++]!, reconnect, connectTimeoutMs: 60_000, autoConnect: false });
    clients.push(c);
    const rec = new Recorder(c);
    void c.connect().catch(() => undefined);
    for (let n = 0; n < draws.length; n += 1) {
      await waitFor(() => rec.closes.length > n, 3000, `failed attempt ${n + 1}`);
      expect(c.state).toBe("reconnecting");
      clock.advance(rec.closes[n]!.delayMs!);
    }
    const expected = draws.map((r, n) => {
      const { min, max } = backoffBounds(n, resolveReconnect(reconnect));
      return min + (max - min) * r;
    });
    expect(rec.closes.map((e) => e.delayMs)).toEqual(expected);
    expect(expected).toEqual([50, 150, 400, 500, 875]);
  });

  test("observed delays between real attempts stay within their bounds", async () => {
    const reconnect = { minDelayMs: 40, maxDelayMs: 160, factor: 2, jitter: 0.5 };
    const bounds = resolveReconnect(reconnect);
    const c = createClient({ url: "ws://127.0.0.1:1/ws", token: "t", reconnect, encryption: "off", autoConnect: false });
    clients.push(c);
    const rec = new Recorder(c);
    void c.connect().catch(() => undefined);
    await waitFor(() => rec.count("connecting") >= 6, 5000, "six attempts");
    c.close();
    const starts = rec.states.filter((s) => s.state === "connecting").map((s) => s.at);
    for (let n = 0; n < 5; n += 1) {
      const { min, max } = backoffBounds(n, bounds);
      const announced = rec.closes[n]!.delayMs!;
      expect(announced).toBeGreaterThanOrEqual(min);
      expect(announced).toBeLessThanOrEqual(max);
      const observed = starts[n + 1]! - rec.closes[n]!.at;
      expect(observed).toBeGreaterThanOrEqual(min - 2); // timer granularity
      expect(observed).toBeLessThanOrEqual(max + 100); // scheduling slack on a busy machine
    }
  });
});
