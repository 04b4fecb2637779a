/**
 * @module server/broker/broker
 * The scaling seam: a byte pipe between instances. The core speaks the cluster protocol (the
 * Ignis envelope, validated on receipt) and hands the broker channel names and text; a broker
 * only moves them. Implementations: `MemoryBroker` (default, one process) and `RedisBroker`.
 *
 * Delivery contract, checked by the shared contract suite (test/contract/broker.contract.ts):
 * - `publish` resolves once the message was handed to the bus and rejects when it could not be;
 *   it never throws synchronously.
 * - Every other subscriber on the bus receives each message at most once. Whether the
 *   publisher's own subscription gets it back is up to the implementation (Redis does, memory
 *   does not); the core drops its own echoes by `serverId`.
 * - Messages from one publisher arrive in publish order.
 * - Channels follow the Ignis names (`ws:broadcast`, `ws:room:*`, `ws:client:*`, `ws:user:*`);
 *   a subscriber receives all of them.
 */

/**
 * Switchboard's own control channels (cluster view: operator commands, replies, admin events;
 * see server/cluster/keys.ts) share this prefix. A broker subscribes to them besides the Ignis
 * channels; server/cluster/router.ts keeps them away from the core.
 */
export const CONTROL_PREFIX = "sb:";

export type BrokerMessageHandler = (channel: string, message: string) => void;
export type BrokerHealthHandler = (connected: boolean) => void;

export interface Broker {
  /** `memory` or `redis`. */
  readonly kind: string;
  /** Connects and subscribes; idempotent. */
  start(): Promise<void>;
  publish(channel: string, message: string): Promise<void>;
  /** Registers the one inbound handler. */
  onMessage(handler: BrokerMessageHandler): void;
  /** Registers a listener for connection state changes. */
  onHealth(handler: BrokerHealthHandler): void;
  readonly connected: boolean;
  /** True when no other instance can receive a publish, so the core may skip it. */
  readonly isolated: boolean;
  /** Releases connections it created; idempotent. */
  close(): Promise<void>;
}
