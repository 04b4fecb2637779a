/**
 * @module server/broker/memory
 * In-process broker. Each broker joins a bus; by default a private one, so a single instance
 * needs no configuration. Brokers created on the same `MemoryBus` behave like instances on one
 * Redis, which lets tests run several hubs in one process.
 */
import type { Broker, BrokerHealthHandler, BrokerMessageHandler } from "./broker.ts";

export class MemoryBus {
  private readonly members = new Set<MemoryBroker>();

  join(broker: MemoryBroker): void {
    this.members.add(broker);
  }

  leave(broker: MemoryBroker): void {
    this.members.delete(broker);
  }

  deliver(from: MemoryBroker, channel: string, message: string): void {
    for (const member of this.members) if (member !== from) member.receive(channel, message);
  }

  get size(): number {
    return this.members.size;
  }
}

export class MemoryBroker implements Broker {
  readonly kind = "memory";
  private handler?: BrokerMessageHandler;
  private started = false;

  constructor(private readonly bus: MemoryBus = new MemoryBus()) {}

  get connected(): boolean {
    return this.started;
  }

  get isolated(): boolean {
    return this.bus.size <= 1;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.bus.join(this);
  }

  /** Delivery is deferred to a microtask so that publishing never re-enters the caller. */
  publish(channel: string, message: string): Promise<void> {
    if (!this.started) return Promise.reject(new Error("memory broker is not started"));
    queueMicrotask(() => this.bus.deliver(this, channel, message));
    return Promise.resolve();
  }

  onMessage(handler: BrokerMessageHandler): void {
    this.handler = handler;
  }

  onHealth(_handler: BrokerHealthHandler): void {
    // Always healthy while started: nothing to report.
  }

  receive(channel: string, message: string): void {
    this.handler?.(channel, message);
  }

  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.bus.leave(this);
  }
}
