/**
 * An in-memory transport for unit tests of the session core: connections record what they are
 * sent and which topics they are subscribed to; the publisher delivers to subscribers.
 */
import type { Connection, TopicPublisher } from "../../server/core/connection.ts";
import { Hub } from "../../server/core/hub.ts";
import { MemoryBroker } from "../../server/broker/memory.ts";
import type { CoreOptions, Hooks, CodecFactory } from "../../server/core/types.ts";
import type { Clock } from "../../server/core/clock.ts";

export class FakeConnection implements Connection {
  readonly sent: string[] = [];
  readonly topics = new Set<string>();
  closedWith?: { code: number; reason: string };
  buffered = 0;
  remoteAddress = "127.0.0.1";
  userAgent = "fake";
  onClose?: (code: number, reason: string) => void;

  send(text: string): number {
    if (this.closedWith) return 0;
    this.sent.push(text);
    return text.length;
  }

  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.onClose?.(code, reason);
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  get frames(): Array<{ event: string; data?: any }> {
    return this.sent.map((t) => JSON.parse(t));
  }

  events(): string[] {
    return this.frames.map((f) => f.event);
  }
}

export class FakePublisher implements TopicPublisher {
  readonly published: Array<{ topic: string; text: string }> = [];
  readonly connections = new Set<FakeConnection>();

  publish(topic: string, text: string): void {
    this.published.push({ topic, text });
    for (const conn of this.connections) if (conn.topics.has(topic)) conn.send(text);
  }
}

/** A manual clock: timers fire only when the test advances time. */
export class ManualClock implements Clock {
  private t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void; every?: number }>();
  private nextId = 1;

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn, every: ms });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.t = timer.at;
      if (timer.every) timer.at += timer.every;
      else this.timers.delete(id);
      timer.fn();
    }
    this.t = end;
  }
}

export const baseOptions: CoreOptions = {
  instanceId: "test-instance",
  defaultRooms: ["ws-default", "ws-notification"],
  allowedRooms: [],
  authTimeout: 5000,
  heartbeatInterval: 30000,
  heartbeatTimeout: 90000,
  rateLimitPerSecond: 0,
  maxConnectionsPerUser: 0,
  backpressureLimit: 1024 * 1024,
  slowConsumerGraceMs: 3000,
  encryption: "optional",
  encryptedBatchLimit: 10,
  historyRooms: [],
};

export interface FakeHub {
  hub: Hub;
  clock: ManualClock;
  publisher: FakePublisher;
  connect(id?: string): { conn: FakeConnection; session: NonNullable<ReturnType<Hub["open"]>> };
}

let counter = 0;

export async function fakeHub(options: Partial<CoreOptions> = {}, hooks: Hooks = {}, codecFactory?: CodecFactory): Promise<FakeHub> {
  const clock = new ManualClock();
  const publisher = new FakePublisher();
  const hub = new Hub({ ...baseOptions, ...options }, { hooks, broker: new MemoryBroker(), clock, codecFactory });
  await hub.start();
  hub.attachPublisher(publisher);
  return {
    hub,
    clock,
    publisher,
    connect(id = `client-${++counter}`) {
      const conn = new FakeConnection();
      publisher.connections.add(conn);
      const session = hub.open(conn, id)!;
      conn.onClose = (code, reason) => hub.closed(session, code, reason);
      return { conn, session };
    },
  };
}

/** Lets pending promise callbacks (async hooks) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
