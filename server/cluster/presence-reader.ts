/**
 * @module server/cluster/presence-reader
 * Reads other instances' presence from Redis (layout in keys.ts). Every method reads only the
 * keys of live instances: the `sb:instances` set names candidates, and an instance whose meta
 * record has expired is dead (and is removed from the set here, by whoever notices first).
 *
 * Methods reject when Redis does not answer; callers decide how to degrade.
 */
import { parseJsonObject } from "../../shared/json.ts";
import type { CommandCapable } from "../broker/commands.ts";
import type { ClientInfo } from "../core/queries.ts";
import { INSTANCES_KEY, instanceKeys, type InstanceMeta } from "./keys.ts";

export class PresenceReader {
  constructor(
    private readonly redis: CommandCapable,
    /** This instance, answered from local state and never read back from Redis. */
    private readonly selfId: string,
  ) {}

  /** Records of every live instance except this one. */
  async instances(): Promise<InstanceMeta[]> {
    const ids = ((await this.redis.command("SMEMBERS", INSTANCES_KEY)) as string[]).filter((id) => id !== this.selfId);
    const records = await Promise.all(ids.map((id) => this.redis.command("GET", instanceKeys(id).meta) as Promise<string | null>));
    const live: InstanceMeta[] = [];
    const dead: string[] = [];
    records.forEach((text, i) => {
      const meta = text ? parseJsonObject<InstanceMeta>(text) : undefined;
      if (meta) live.push(meta);
      else dead.push(ids[i]!);
    });
    // A member whose record expired is dead; forget it (its hashes expire with the record).
    if (dead.length > 0) await this.redis.command("SREM", INSTANCES_KEY, ...dead).catch(() => undefined);
    return live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** All clients of the given instances. */
  async clients(ids: string[]): Promise<ClientInfo[]> {
    const lists = await Promise.all(ids.map((id) => this.redis.command("HVALS", instanceKeys(id).clients) as Promise<string[]>));
    const out: ClientInfo[] = [];
    for (const list of lists) for (const text of list) {
      const info = parseJsonObject<ClientInfo>(text);
      if (info) out.push(info);
    }
    return out;
  }

  /** The given clients, wherever they are among the given instances (absent ones are skipped). */
  async lookup(ids: string[], clientIds: string[]): Promise<ClientInfo[]> {
    if (clientIds.length === 0) return [];
    const lists = await Promise.all(ids.map((id) => this.redis.command("HMGET", instanceKeys(id).clients, ...clientIds) as Promise<Array<string | null>>));
    const out: ClientInfo[] = [];
    for (const list of lists) for (const text of list) {
      const info = text ? parseJsonObject<ClientInfo>(text) : undefined;
      if (info) out.push(info);
    }
    return out;
  }

  /** Which of the given instances holds the client, if any. */
  async holderOf(ids: string[], clientId: string): Promise<string | undefined> {
    const found = await Promise.all(ids.map((id) => this.redis.command("HEXISTS", instanceKeys(id).clients, clientId)));
    const i = found.findIndex((n) => Number(n) === 1);
    return i >= 0 ? ids[i] : undefined;
  }

  /** Sum over the given instances of one field of their `rooms` or `users` count hashes. */
  async sumCounts(ids: string[], hash: "rooms" | "users", field: string): Promise<number> {
    const counts = await Promise.all(ids.map((id) => this.redis.command("HGET", instanceKeys(id)[hash], field) as Promise<string | null>));
    return counts.reduce((sum, n) => sum + (n ? Number(n) || 0 : 0), 0);
  }
}
