/**
 * @module server/cluster/redis-history
 * History rooms in Redis Streams, so any instance can serve any room's history and the seq is
 * gap-free across the cluster: one Lua script increments the room's counter and appends the
 * frame under the stream id `<seq>-1` (capped with MAXLEN), atomically. Reads use XRANGE from
 * `<after+1>-0`. Both keys of a room share a hash tag, so this works on Redis Cluster too.
 *
 * Keys: `sb:h{<room>}:seq` (counter, kept 30 days after the last message) and
 * `sb:h{<room>}:log` (stream, expires HISTORY_TTL_S after the last message; older entries are
 * also filtered out by their timestamp on read).
 */
import type { OutboundFrame } from "../../shared/protocol.ts";
import type { CommandCapable } from "../broker/commands.ts";
import { isComplete, type HistorySlice, type HistoryStore } from "../core/history.ts";

const APPEND = `
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], seq .. '-1', 'm', ARGV[2], 't', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return seq`;

const SINCE = `
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
return {seq, redis.call('XRANGE', KEYS[2], ARGV[1], '+')}`;

const LATEST = `
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
return {seq, redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[1])}`;

const COUNTER_TTL_MS = 30 * 24 * 3600 * 1000;

type StreamEntry = [string, string[]];

export class RedisHistory implements HistoryStore {
  constructor(
    private readonly redis: CommandCapable,
    private readonly size: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private keys(room: string): [string, string] {
    return [`sb:h{${room}}:seq`, `sb:h{${room}}:log`];
  }

  async append(room: string, event: string, data: unknown): Promise<OutboundFrame> {
    const [seqKey, logKey] = this.keys(room);
    const body = JSON.stringify(data === undefined ? { event } : { event, data });
    const seq = Number(await this.redis.command("EVAL", APPEND, 2, seqKey, logKey, this.size, body, this.now(), COUNTER_TTL_MS, this.ttlMs));
    return data === undefined ? { event, seq, room } : { event, data, seq, room };
  }

  async since(room: string, after: number): Promise<HistorySlice> {
    const [seqKey, logKey] = this.keys(room);
    const [seq, entries] = (await this.redis.command("EVAL", SINCE, 2, seqKey, logKey, `${after + 1}-0`)) as [number, StreamEntry[]];
    const frames = this.toFrames(room, entries);
    return { frames, complete: isComplete(after, Number(seq), frames), seq: Number(seq) };
  }

  async latest(room: string, limit: number): Promise<HistorySlice> {
    const [seqKey, logKey] = this.keys(room);
    const [seq, entries] = (await this.redis.command("EVAL", LATEST, 2, seqKey, logKey, limit)) as [number, StreamEntry[]];
    return { frames: this.toFrames(room, entries).reverse(), complete: true, seq: Number(seq) };
  }

  async position(room: string): Promise<number> {
    return Number((await this.redis.command("GET", this.keys(room)[0])) ?? 0);
  }

  /** Stream entries → frames, dropping those older than the TTL. */
  private toFrames(room: string, entries: StreamEntry[]): OutboundFrame[] {
    const cutoff = this.now() - this.ttlMs;
    const frames: OutboundFrame[] = [];
    for (const [id, fields] of entries) {
      const at = Number(fields[fields.indexOf("t") + 1]);
      if (at < cutoff) continue;
      const body = JSON.parse(fields[fields.indexOf("m") + 1]!) as { event: string; data?: unknown };
      frames.push({ ...body, seq: Number(id.split("-")[0]), room });
    }
    return frames;
  }
}
