/**
 * @module server/cluster/router
 * A broker seen through a filter: the hub's cluster link gets the Ignis traffic, and the
 * cluster module's control channels (`sb:*`: commands, replies, the admin event feed) go to
 * `control` instead, so the link never parses (or warns about) a message that is not an Ignis
 * envelope. Everything else is the wrapped broker's.
 */
import type { Broker, BrokerHealthHandler, BrokerMessageHandler } from "../broker/broker.ts";
import { CONTROL_PREFIX } from "./keys.ts";

export class ControlRouter implements Broker {
  constructor(
    readonly inner: Broker,
    private readonly control: BrokerMessageHandler,
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  get connected(): boolean {
    return this.inner.connected;
  }

  get isolated(): boolean {
    return this.inner.isolated;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  publish(channel: string, message: string): Promise<void> {
    return this.inner.publish(channel, message);
  }

  onMessage(handler: BrokerMessageHandler): void {
    this.inner.onMessage((channel, message) => (channel.startsWith(CONTROL_PREFIX) ? this.control(channel, message) : handler(channel, message)));
  }

  onHealth(handler: BrokerHealthHandler): void {
    this.inner.onHealth(handler);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
