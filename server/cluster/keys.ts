/**
 * @module server/cluster/keys
 * Redis names of the cluster view. Everything lives under `sb:`, apart from the Ignis `ws:`
 * channels that the core's cluster link owns.
 *
 * Keys (a query never needs KEYS or SCAN):
 * - `sb:instances` — SET of instance ids that published presence. Members are not trusted on
 *   their own: an id whose meta record has expired is dead, and readers SREM it.
 * - `sb:{<id>}:meta` — STRING, JSON {@link InstanceMeta}, with a TTL refreshed by its instance.
 * - `sb:{<id>}:clients` — HASH client id → JSON ClientInfo, same TTL.
 * - `sb:{<id>}:rooms` — HASH room → members on that instance, same TTL (O(1) recipient counts).
 * - `sb:{<id>}:users` — HASH user id → authenticated sessions on that instance, same TTL.
 * - `sb:audit` — LIST of audit entries, newest first, trimmed to 1000.
 * The `{<id>}` hash tag puts one instance's keys in one Redis Cluster slot, so the flush script
 * may touch them together.
 *
 * Channels (pub/sub; instances PSUBSCRIBE `sb:*`):
 * - `sb:cmd:<id>` — operator commands for the instance that holds a client;
 * - `sb:reply:<id>` — their answers, to the asking instance;
 * - `sb:events` — admin stream events of every instance, batched.
 */
import { CONTROL_PREFIX } from "../broker/broker.ts";

export { CONTROL_PREFIX };
export const INSTANCES_KEY = `${CONTROL_PREFIX}instances`;
export const AUDIT_KEY = `${CONTROL_PREFIX}audit`;
export const EVENTS_CHANNEL = `${CONTROL_PREFIX}events`;
export const COMMAND_PREFIX = `${CONTROL_PREFIX}cmd:`;
export const REPLY_PREFIX = `${CONTROL_PREFIX}reply:`;

export interface InstanceKeys {
  meta: string;
  clients: string;
  rooms: string;
  users: string;
}

export function instanceKeys(id: string): InstanceKeys {
  const tag = `${CONTROL_PREFIX}{${id}}`;
  return { meta: `${tag}:meta`, clients: `${tag}:clients`, rooms: `${tag}:rooms`, users: `${tag}:users` };
}

/** What an instance publishes about itself (the instance record). */
export interface InstanceMeta {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  /** When the record was last written (epoch ms, the writer's clock). */
  lastSeen: number;
  /** How often the record is rewritten at least; `healthy` means "seen within two of these". */
  refreshMs: number;
  connections: number;
  authenticated: number;
  encrypted: number;
  messagesInPerSec: number;
  messagesOutPerSec: number;
  shuttingDown: boolean;
}

/**
 * One atomic presence write (EVAL). KEYS = meta, clients, rooms, users of one instance.
 * ARGV = ttlMs, reset ("1" deletes the three hashes first: a full republish), meta JSON, then
 * three sections (clients, rooms, users), each a count n followed by n field/value pairs; the
 * value "" or "0" deletes the field. Every key gets the TTL again, so an instance's records
 * expire together when it stops refreshing them. Returns 1 when the meta record existed
 * before, 0 when it was gone (expired during a stall, or Redis lost its data without a
 * disconnect): the writer then republishes everything.
 */
export const FLUSH_SCRIPT = `
local ttl = ARGV[1]
local existed = redis.call('EXISTS', KEYS[1])
if ARGV[2] == '1' then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl)
local i = 4
for k = 2, 4 do
  local n = tonumber(ARGV[i])
  i = i + 1
  for j = 1, n do
    local field, value = ARGV[i], ARGV[i + 1]
    i = i + 2
    if value == '' or value == '0' then redis.call('HDEL', KEYS[k], field) else redis.call('HSET', KEYS[k], field, value) end
  end
  redis.call('PEXPIRE', KEYS[k], ttl)
end
return existed
`;
