/**
 * @module server/webhooks/transitions
 * Cluster-wide "occupied" and "vacated" transitions of a key (a room, or one member of a room),
 * so that `room.occupied`/`member.added` are sent once per transition, never by two instances.
 *
 * - `occupy(key)` is called when this instance's count for the key goes 0 → 1; true means this
 *   call is the transition (the caller sends the event).
 * - `vacate(key, live)` is called WEBHOOK_VACATE_DELAY_MS after the count went 1 → 0 and only
 *   while it is still 0; true means no live instance holds the key any more and this call ended
 *   the occupied period (the caller sends the event).
 *
 * Redis: one hash per key, `sb:wh{<room>}:<r|m:…>`, with a field per instance holding it plus the
 * flag field `~` ("announced"). Both scripts run atomically, so two instances occupying at once
 * see one HSETNX succeed, and a vacate never races a join: a join's field is either there when
 * the vacate script runs (no event) or is written after it (and sets the flag anew: a new
 * transition). Fields of instances not in `live` (killed ones, per the cluster view) are pruned
 * by the vacate script, so a crashed instance cannot keep a room occupied forever.
 * Memory (one instance): a set of announced keys.
 */
import type { CommandCapable } from "../broker/commands.ts";

export interface TransitionStore {
  occupy(key: string): Promise<boolean>;
  vacate(key: string, live: readonly string[]): Promise<boolean>;
}

export class MemoryTransitions implements TransitionStore {
  private readonly announced = new Set<string>();

  async occupy(key: string): Promise<boolean> {
    if (this.announced.has(key)) return false;
    this.announced.add(key);
    return true;
  }

  async vacate(key: string): Promise<boolean> {
    return this.announced.delete(key);
  }
}

const OCCUPY = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HSETNX', KEYS[1], '~', ARGV[2])`;

const VACATE = `
redis.call('HDEL', KEYS[1], ARGV[1])
local live = {}
for i = 2, #ARGV do live[ARGV[i]] = true end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= '~' and not live[field] then redis.call('HDEL', KEYS[1], field) end
end
if redis.call('HLEN', KEYS[1]) == 1 and redis.call('HEXISTS', KEYS[1], '~') == 1 then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

export class RedisTransitions implements TransitionStore {
  constructor(
    private readonly redis: CommandCapable,
    private readonly instanceId: string,
  ) {}

  async occupy(key: string): Promise<boolean> {
    return Number(await this.redis.command("EVAL", OCCUPY, 1, `sb:wh${key}`, this.instanceId, Date.now())) === 1;
  }

  async vacate(key: string, live: readonly string[]): Promise<boolean> {
    return Number(await this.redis.command("EVAL", VACATE, 1, `sb:wh${key}`, this.instanceId, ...live)) === 1;
  }
}

/** Store keys: the room's hash tag first, so a room and its members share a Redis Cluster slot. */
export const roomKey = (room: string) => `{${room}}:r`;
export const memberKey = (room: string, member: string) => `{${room}}:m:${member}`;
