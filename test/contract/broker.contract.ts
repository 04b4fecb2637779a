/**
 * The broker contract (server/broker/broker.ts), one suite for every implementation. A harness
 * creates brokers on one shared bus (two memory brokers on one `MemoryBus`, or two Redis brokers
 * on one redis-server); a bus that can be taken down and brought back (Redis) also runs the
 * outage cases. Waits are on messages and health events with timeouts, never sleeps.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Broker } from "../../server/broker/broker.ts";

export interface BrokerHarness {
  /** A new, not yet started broker on the shared bus. */
  create(): Broker;
  /** Present when the bus can fail: `down()` kills it, `up()` brings it back empty. */
  outage?: { down(): Promise<void>; up(): Promise<void> };
}

const CHANNELS = ["ws:broadcast", "ws:room:lobby", "ws:client:c-1", "ws:user:u-1"];

/**
 * Each test tags its messages, and inboxes keep only the current tag: on a bus shared by the
 * whole suite (a Redis Cluster propagates between nodes asynchronously), a late message of an
 * earlier test must not count in a later one.
 */
let tag = "";
const send = (broker: Broker, channel: string, body: string) => broker.publish(channel, `${tag}|${body}`);

/** Everything a broker received, with waits that time out. */
class Inbox {
  readonly messages: Array<{ channel: string; message: string }> = [];
  readonly health: boolean[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly broker: Broker) {
    const mine = `${tag}|`;
    broker.onMessage((channel, message) => {
      if (message.startsWith(mine)) this.push(() => this.messages.push({ channel, message: message.slice(mine.length) }));
    });
    broker.onHealth((up) => this.push(() => this.health.push(up)));
  }

  private push(record: () => void): void {
    record();
    for (const wake of this.waiters.splice(0)) wake();
  }

  bodies(): string[] {
    return this.messages.map((m) => m.message);
  }

  async until(what: string, done: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}, health ${JSON.stringify(this.health)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a message body; returns how many times it arrived so far. */
  async received(body: string, timeoutMs?: number): Promise<number> {
    await this.until(`message ${body}`, () => this.bodies().includes(body), timeoutMs);
    return this.bodies().filter((b) => b === body).length;
  }
}

export function brokerContract(name: string, harness: () => BrokerHarness): void {
  describe(`broker contract: ${name}`, () => {
    const open: Broker[] = [];
    const make = () => {
      const broker = harness().create();
      open.push(broker);
      return broker;
    };
    const pair = async () => {
      const [a, b] = [new Inbox(make()), new Inbox(make())];
      await Promise.all([a.broker.start(), b.broker.start()]);
      return [a, b] as const;
    };
    beforeEach(() => {
      tag = `t${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    test("start connects, is idempotent, and close is idempotent", async () => {
      const broker = make();
      expect(typeof broker.kind).toBe("string");
      expect(broker.connected).toBe(false);
      await Promise.all([broker.start(), broker.start()]);
      expect(broker.connected).toBe(true);
      await broker.close();
      await broker.close();
      expect(broker.connected).toBe(false);
    });

    test("publish before start or after close rejects and never throws synchronously", async () => {
      const broker = make();
      let before: Promise<void> | undefined;
      let thrown: unknown;
      try {
        before = broker.publish("ws:broadcast", "x");
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeUndefined();
      await expect(before!).rejects.toBeInstanceOf(Error);
      await broker.start();
      await broker.close();
      await expect(broker.publish("ws:broadcast", "x")).rejects.toBeInstanceOf(Error);
    });

    test("every Ignis channel reaches the other broker once, with its channel name", async () => {
      const [a, b] = await pair();
      for (const channel of CHANNELS) await send(a.broker, channel, `on ${channel}`);
      await send(a.broker, "ws:broadcast", "sentinel");
      await b.received("sentinel");
      expect(b.messages.filter((m) => m.message !== "sentinel")).toEqual(CHANNELS.map((channel) => ({ channel, message: `on ${channel}` })));
    });

    test("messages from one publisher arrive in order, each exactly once, at every other broker", async () => {
      const [a, b] = await pair();
      const c = new Inbox(make());
      await c.broker.start();
      const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((m, i) => send(a.broker, CHANNELS[i % CHANNELS.length]!, m)));
      await send(a.broker, "ws:broadcast", "sentinel");
      for (const inbox of [b, c]) {
        await inbox.received("sentinel");
        expect(inbox.bodies()).toEqual([...sent, "sentinel"]);
      }
    });

    test("a publisher's own echo, if the bus returns it, arrives at most once", async () => {
      const [a, b] = await pair();
      await send(a.broker, "ws:room:echo", "mine");
      await b.received("mine");
      await send(b.broker, "ws:broadcast", "sentinel");
      await a.received("sentinel");
      expect(a.bodies().filter((m) => m === "mine").length).toBeLessThanOrEqual(1);
    });

    test("both directions work at once", async () => {
      const [a, b] = await pair();
      await Promise.all([send(a.broker, "ws:user:u-1", "from a"), send(b.broker, "ws:client:c-1", "from b")]);
      expect(await b.received("from a")).toBe(1);
      expect(await a.received("from b")).toBe(1);
    });

    test("a closed broker no longer receives", async () => {
      const [a, b] = await pair();
      const c = new Inbox(make());
      await c.broker.start();
      await c.broker.close();
      await send(a.broker, "ws:broadcast", "after close");
      await b.received("after close");
      expect(c.bodies()).not.toContain("after close");
    });

    outageCases(make);
  });

  function outageCases(make: () => Broker): void {
    test.if(harness().outage !== undefined)("outage: health drops once, publish rejects promptly, recovery resubscribes without late or duplicate delivery", async () => {
      const outage = harness().outage!;
      const [a, b] = [new Inbox(make()), new Inbox(make())];
      await Promise.all([a.broker.start(), b.broker.start()]);
      await send(a.broker, "ws:broadcast", "before");
      await b.received("before");
      const [aBase, bBase] = [a.health.length, b.health.length];

      await outage.down();
      await a.until("health down", () => a.health.length > aBase);
      await b.until("health down", () => b.health.length > bBase);
      expect(a.broker.connected).toBe(false);
      const started = Date.now();
      await expect(send(a.broker, "ws:room:lobby", "while down")).rejects.toBeInstanceOf(Error);
      expect(Date.now() - started).toBeLessThan(500);

      await outage.up();
      await a.until("health up", () => a.health.at(-1) === true, 10_000);
      await b.until("health up", () => b.health.at(-1) === true, 10_000);
      expect(a.health.slice(aBase)).toEqual([false, true]);
      expect(b.health.slice(bBase)).toEqual([false, true]);
      await send(a.broker, "ws:room:lobby", "after");
      await send(b.broker, "ws:user:u-1", "reply");
      expect(await b.received("after")).toBe(1);
      expect(await a.received("reply")).toBe(1);
      expect(b.bodies()).not.toContain("while down");
    }, 20_000);
  }
}
