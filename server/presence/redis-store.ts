/**
 * @module server/presence/redis-store
 * Presence membership in Redis, shared by every instance (contract in ./store.ts).
 *
 * Keys:
 * - `sb:p{<room>}:m` — hash, member key → JSON `{u?: userId, i?: info JSON text, c: {clientId: instanceId}}`.
 *   One Lua script per change reads and rewrites a member, so "first connection" and "last
 *   connection" are decided atomically by Redis, whichever instance asks. The hash tag keeps a
 *   room's key on one slot (Redis Cluster).
 * - `sb:pi` — set of instance ids that hold presence connections; `sb:pi:<instanceId>` — set of
 *   JSON `[room, memberKey, clientId]` of that instance. They let a survivor take a dead
 *   instance's connections out (`removeInstance`); a `SET NX` claim makes only one survivor do
 *   it, so each resulting leave is announced once.
 * The keys carry no TTL: entries leave by `remove`, by the owner's shutdown, or by the sweep of
 * a dead owner; a Redis that restarts empty is filled again by every instance (`restore`).
 */
import type { CommandCapable } from "../broker/commands.ts";
import { pageOf, type MemberKey, type PresenceChange, type PresenceEntry, type PresenceMember, type PresenceStore, type RemovedMember, type RosterPage } from "./store.ts";

const ADD = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local changed = 0
local m
if raw then m = cjson.decode(raw) else
  changed = 1
  m = {c = {}}
  if ARGV[4] ~= '' then m.u = ARGV[4] end
  if ARGV[5] ~= '' then m.i = ARGV[5] end
end
m.c[ARGV[2]] = ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return {changed, redis.call('HLEN', KEYS[1])}`;

const REMOVE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0, redis.call('HLEN', KEYS[1])} end
local m = cjson.decode(raw)
if m.c[ARGV[2]] == nil then return {0, redis.call('HLEN', KEYS[1])} end
m.c[ARGV[2]] = nil
if next(m.c) == nil then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return {1, redis.call('HLEN', KEYS[1]), raw}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return {0, redis.call('HLEN', KEYS[1])}`;

const HOLDERS = "sb:pi";
const CLAIM_MS = 60_000;

interface StoredMember {
  u?: string;
  i?: string;
  c: Record<string, string>;
}

const membersKey = (room: string) => `sb:p{${room}}:m`;
const holderKey = (instanceId: string) => `sb:pi:${instanceId}`;

function parseInfo(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function toMember(stored: StoredMember): PresenceMember {
  // Sorted: Lua tables keep no order, and a stable list is easier to render and compare.
  const out: PresenceMember = { clientIds: Object.keys(stored.c ?? {}).sort() };
  if (stored.u !== undefined) out.userId = stored.u;
  const info = parseInfo(stored.i);
  if (info !== undefined) out.info = info;
  return out;
}

export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: CommandCapable,
    private readonly instanceId: string,
  ) {}

  async add(e: PresenceEntry): Promise<PresenceChange> {
    const info = e.info === undefined ? "" : JSON.stringify(e.info);
    const [changed, total] = (await this.redis.command("EVAL", ADD, 1, membersKey(e.room), e.key, e.clientId, e.instanceId, e.userId ?? "", info)) as [number, number];
    await this.redis.command("SADD", HOLDERS, e.instanceId);
    await this.redis.command("SADD", holderKey(e.instanceId), JSON.stringify([e.room, e.key, e.clientId]));
    return { changed: changed === 1, total: Number(total) };
  }

  async remove(room: string, key: MemberKey, clientId: string): Promise<PresenceChange> {
    const change = await this.removeHeld(room, key, clientId, this.instanceId);
    return { changed: change.changed, total: change.total };
  }

  private async removeHeld(room: string, key: MemberKey, clientId: string, holder: string): Promise<PresenceChange & { stored?: StoredMember }> {
    const reply = (await this.redis.command("EVAL", REMOVE, 1, membersKey(room), key, clientId)) as [number, number, string?];
    await this.redis.command("SREM", holderKey(holder), JSON.stringify([room, key, clientId]));
    const stored = reply[2] ? (JSON.parse(reply[2]) as StoredMember) : undefined;
    return { changed: reply[0] === 1, total: Number(reply[1]), stored };
  }

  async roster(room: string, page: { limit: number; cursor?: string }): Promise<RosterPage> {
    const flat = (await this.redis.command("HGETALL", membersKey(room))) as string[] | Record<string, string>;
    const map = new Map<string, string>();
    if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
    else for (const [k, v] of Object.entries(flat ?? {})) map.set(k, v);
    const keys = [...map.keys()].sort();
    return pageOf(keys, page, (key) => toMember(JSON.parse(map.get(key)!) as StoredMember), map.size);
  }

  async holders(): Promise<string[]> {
    return ((await this.redis.command("SMEMBERS", HOLDERS)) as string[]) ?? [];
  }

  async removeInstance(instanceId: string): Promise<RemovedMember[]> {
    const claim = await this.redis.command("SET", `${holderKey(instanceId)}:claim`, this.instanceId, "NX", "PX", CLAIM_MS);
    if (claim !== "OK") return [];
    const entries = ((await this.redis.command("SMEMBERS", holderKey(instanceId))) as string[]) ?? [];
    const removed: RemovedMember[] = [];
    for (const text of entries) {
      const [room, key, clientId] = JSON.parse(text) as [string, string, string];
      const change = await this.removeHeld(room, key, clientId, instanceId);
      if (change.changed) removed.push({ room, userId: change.stored?.u, clientId, info: parseInfo(change.stored?.i), total: change.total });
    }
    await this.redis.command("SREM", HOLDERS, instanceId);
    return removed;
  }
}
