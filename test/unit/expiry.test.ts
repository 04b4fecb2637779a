/**
 * ExpiryQueue: one timer for all token expiries, in time order, skipping entries made stale
 * by a refresh or a close, and purging them once they are the majority.
 */
import { describe, expect, test } from "bun:test";
import { ExpiryQueue } from "../../server/core/expiry.ts";
import { ManualClock } from "../helpers/fake-transport.ts";

class Item {
  isOpen = true;
  constructor(
    readonly name: string,
    public expiresAt?: number,
  ) {}
}

function setup() {
  const clock = new ManualClock();
  const expired: string[] = [];
  const queue = new ExpiryQueue<Item>(clock, (item) => {
    expired.push(item.name);
    item.isOpen = false;
  });
  const add = (name: string, inMs: number) => {
    const item = new Item(name, clock.now() + inMs);
    queue.add(item, item.expiresAt!);
    return item;
  };
  return { clock, expired, queue, add };
}

describe("ExpiryQueue", () => {
  test("expires entries in time order, each once, whatever the order they were added in", () => {
    const { clock, expired, add } = setup();
    for (const [name, ms] of [["c", 300], ["a", 100], ["d", 400], ["b", 200], ["e", 100]] as const) add(name, ms);
    clock.advance(99);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired.sort()).toEqual(["a", "e"]);
    clock.advance(1000);
    expect(expired).toEqual(["a", "e", "b", "c", "d"]);
  });

  test("a re-armed entry expires at its new time only; a closed one never", () => {
    const { clock, expired, queue, add } = setup();
    const moved = add("moved", 100);
    const closed = add("closed", 100);
    moved.expiresAt = clock.now() + 500;
    queue.add(moved, moved.expiresAt);
    queue.forget();
    closed.isOpen = false;
    queue.forget();
    clock.advance(499);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual(["moved"]);
  });

  test("stale entries are purged once they are the majority, live ones kept", () => {
    const { clock, expired, queue, add } = setup();
    const items = Array.from({ length: 3000 }, (_, i) => add(`i${i}`, 10_000 + i));
    for (const item of items.slice(0, 2500)) {
      item.isOpen = false;
      queue.forget();
    }
    expect(queue.size).toBeLessThan(3000);
    expect(queue.size).toBeGreaterThanOrEqual(500);
    clock.advance(20_000);
    expect(expired).toEqual(items.slice(2500).map((i) => i.name));
  });

  test("clear() drops everything and its timer", () => {
    const { clock, expired, queue, add } = setup();
    add("x", 100);
    queue.clear();
    clock.advance(1000);
    expect(expired).toEqual([]);
    expect(queue.size).toBe(0);
  });
});
