/**
 * @module server/api/idempotency-store
 * Where `Idempotency-Key` records of REST emits live (SPEC §14): in memory for one instance, or
 * in Redis so that every instance on the same Redis shares them.
 *
 * A record is claimed once, atomically, when the first request with a key arrives (state
 * `running`, tagged with an `owner` token of that request), and either completed with the answer
 * (state `done`, kept until the claim's expiry: the TTL counts from the first request) or
 * released when the attempt is not to be stored. Only the owner may complete or release, so a
 * slow attempt whose claim has expired and been re-claimed by another cannot overwrite it.
 */
import type { Broker } from "../broker/broker.ts";
import { supportsCommands, type CommandCapable } from "../broker/commands.ts";

/** The first answer, replayed verbatim to repeats. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type IdempotencyRecord =
  | { state: "running"; fingerprint: string; owner: string }
  | { state: "done"; fingerprint: string; owner: string; answer: StoredAnswer };

export type RunningRecord = Extract<IdempotencyRecord, { state: "running" }>;
export type DoneRecord = Extract<IdempotencyRecord, { state: "done" }>;

export interface IdempotencyStore {
  /** Stores `record` for `ttlMs` when `key` holds nothing (returns undefined), else returns what `key` holds. Atomic. */
  claim(key: string, record: RunningRecord, ttlMs: number): Promise<IdempotencyRecord | undefined>;
  /** Replaces the claim of `record.owner` with `record`, keeping the claim's expiry; nothing when the claim is not that owner's any more. */
  complete(key: string, record: DoneRecord): Promise<void>;
  /** Drops `owner`'s claim (the attempt is not stored); nothing when the claim is not `owner`'s. */
  release(key: string, owner: string): Promise<void>;
}

/** Entries a memory store keeps at most; beyond, the entries closest to expiry go first. */
export const MEMORY_STORE_LIMIT = 10_000;

/** One instance's records, bounded, each dropped at its expiry. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, { record: IdempotencyRecord; expiresAt: number }>();

  constructor(
    private readonly limit = MEMORY_STORE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async claim(key: string, record: RunningRecord, ttlMs: number): Promise<IdempotencyRecord | undefined> {
    const held = this.live(key);
    if (held) return held.record;
    this.makeRoom();
    this.entries.set(key, { record, expiresAt: this.now() + ttlMs });
    return undefined;
  }

  async complete(key: string, record: DoneRecord): Promise<void> {
    const held = this.live(key);
    if (held?.record.owner === record.owner) held.record = record;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.live(key)?.record.owner === owner) this.entries.delete(key);
  }

  private live(key: string) {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /**
   * Below the limit, nothing. At it, expired entries go; if none had, the oldest one goes
   * (entries share one TTL, so insertion order is expiry order). A caller that floods the store
   * with fresh keys can thus push out others' records: the bound protects memory, Redis is the
   * store for guarantees under such load.
   */
  private makeRoom(): void {
    if (this.entries.size < this.limit) return;
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    if (this.entries.size < this.limit) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}

// One script each, so that the check and the write happen atomically on the Redis side.
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

const COMPLETE = `
local held = redis.call('GET', KEYS[1])
if not held or cjson.decode(held).owner ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return 1`;

const RELEASE = `
local held = redis.call('GET', KEYS[1])
if not held or cjson.decode(held).owner ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;

/**
 * Records in Redis through the broker's command interface, one string key per record (JSON),
 * `sb:idem:<hash>` with a PX expiry. Each script touches that one key only, so it runs on a
 * single node and on Redis Cluster alike.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(private readonly redis: CommandCapable) {}

  async claim(key: string, record: RunningRecord, ttlMs: number): Promise<IdempotencyRecord | undefined> {
    const held = await this.redis.command("EVAL", CLAIM, 1, key, JSON.stringify(record), ttlMs);
    return held === null || held === undefined ? undefined : (JSON.parse(String(held)) as IdempotencyRecord);
  }

  async complete(key: string, record: DoneRecord): Promise<void> {
    await this.redis.command("EVAL", COMPLETE, 1, key, record.owner, JSON.stringify(record));
  }

  async release(key: string, owner: string): Promise<void> {
    await this.redis.command("EVAL", RELEASE, 1, key, owner);
  }
}

/** Redis when the broker can run commands (shared by every instance on it), memory otherwise. */
export function idempotencyStoreFor(broker: Broker): IdempotencyStore {
  return supportsCommands(broker) ? new RedisIdempotencyStore(broker) : new MemoryIdempotencyStore();
}
