/**
 * @module server/cluster/remote-commands
 * Operator commands carried out by the instance that holds the client. The asking instance
 * publishes `{id, from, command}` on `sb:cmd:<holder>`; the holder runs it against its own
 * sessions (the local view) and answers `{id, from, found, result}` on `sb:reply:<asker>`.
 *
 * Contract: `request` resolves with the first answer of an instance that holds the client, or
 * `undefined` when every asked instance said it does not, when a publish failed, or after
 * `timeoutMs` (an instance that does not answer in time is treated as not holding it). It never
 * rejects.
 */
import { randomUUID } from "node:crypto";
import { parseJsonObject } from "../../shared/json.ts";
import type { Broker } from "../broker/broker.ts";
import type { Logger } from "../core/types.ts";
import { COMMAND_PREFIX, REPLY_PREFIX } from "./keys.ts";
import type { LocalView } from "./local-view.ts";

export type RemoteCommand =
  | { op: "disconnect"; clientId: string }
  | { op: "join"; clientId: string; rooms: string[] }
  | { op: "leave"; clientId: string; room: string };

interface Request {
  id: string;
  from: string;
  command: RemoteCommand;
}

interface Reply {
  id: string;
  from: string;
  found: boolean;
  result?: unknown;
}

export interface RemoteCommandsOptions {
  instanceId: string;
  broker: Broker;
  local: LocalView;
  log: Logger;
  /** @default 2000 */
  timeoutMs?: number;
}

export class RemoteCommands {
  private readonly pending = new Map<string, (reply: Reply) => void>();

  constructor(private readonly o: RemoteCommandsOptions) {}

  /** Asks each candidate instance; see the module contract. */
  request(candidates: string[], command: RemoteCommand): Promise<Reply | undefined> {
    if (candidates.length === 0) return Promise.resolve(undefined);
    const id = randomUUID();
    return new Promise((resolve) => {
      let left = candidates.length;
      const finish = (reply: Reply | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(reply);
      };
      const answer = (reply: Reply | undefined) => {
        if (reply?.found) return finish(reply);
        left -= 1;
        if (left === 0) finish(undefined);
      };
      const timer = setTimeout(() => finish(undefined), this.o.timeoutMs ?? 2000);
      this.pending.set(id, answer);
      const text = JSON.stringify({ id, from: this.o.instanceId, command } satisfies Request);
      for (const target of candidates) this.o.broker.publish(COMMAND_PREFIX + target, text).catch(() => answer(undefined));
    });
  }

  /** Handles `sb:cmd:<this instance>` and `sb:reply:<this instance>`; ignores other instances' traffic. */
  receive(channel: string, message: string): void {
    if (channel === COMMAND_PREFIX + this.o.instanceId) void this.execute(message);
    else if (channel === REPLY_PREFIX + this.o.instanceId) this.settle(message);
  }

  private async execute(message: string): Promise<void> {
    const request = parseJsonObject<Request>(message);
    if (!request || typeof request.id !== "string" || typeof request.from !== "string" || !request.command) return;
    let reply: Reply;
    try {
      reply = { id: request.id, from: this.o.instanceId, ...(await this.run(request.command)) };
    } catch (err) {
      this.o.log.warn({ op: request.command.op, err: String(err) }, "remote operator command failed");
      reply = { id: request.id, from: this.o.instanceId, found: false };
    }
    await this.o.broker.publish(REPLY_PREFIX + request.from, JSON.stringify(reply)).catch(() => undefined);
  }

  private async run(command: RemoteCommand): Promise<{ found: boolean; result?: unknown }> {
    const local = this.o.local;
    switch (command.op) {
      case "disconnect": {
        const done = await local.disconnect(String(command.clientId));
        return { found: done, result: done };
      }
      case "join": {
        const rooms = Array.isArray(command.rooms) ? command.rooms.filter((r): r is string => typeof r === "string") : [];
        const joined = await local.joinRooms(String(command.clientId), rooms);
        return { found: joined !== undefined, result: joined };
      }
      case "leave": {
        const left = await local.leaveRoom(String(command.clientId), String(command.room));
        return { found: left !== undefined, result: left };
      }
      default:
        return { found: false };
    }
  }

  private settle(message: string): void {
    const reply = parseJsonObject<Reply>(message);
    if (reply && typeof reply.id === "string") this.pending.get(reply.id)?.(reply);
  }
}
