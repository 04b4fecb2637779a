/**
 * @module server/broker/commands
 * An optional broker capability for the cluster view: plain key/value commands (SET, EXPIRE,
 * HSET, HGETALL, SCAN, …) on the broker's publishing connection, so that presence records can
 * live beside the pub/sub channels without a third connection or another `ioredis` importer.
 *
 * Contract: `command` resolves with the raw reply, rejects promptly while the broker is down
 * (never queues for later), and never throws synchronously. Callers feature-test with
 * `supportsCommands(broker)`; a broker without the capability (memory) keeps presence locally.
 */
import type { Broker } from "./broker.ts";

export type CommandArg = string | number | Buffer;

export interface CommandCapable {
  command(name: string, ...args: CommandArg[]): Promise<unknown>;
}

export function supportsCommands(broker: Broker): broker is Broker & CommandCapable {
  return typeof (broker as Partial<CommandCapable>).command === "function";
}
