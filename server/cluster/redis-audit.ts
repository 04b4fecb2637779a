/**
 * @module server/cluster/redis-audit
 * The audit log of emits kept in Redis (`sb:audit`, newest first, trimmed to `capacity`), so
 * every instance shows the same log. Recording never fails an emit: while Redis does not
 * answer, entries are kept in this instance's memory copy, and `list` answers from it.
 */
import { parseJsonObject } from "../../shared/json.ts";
import type { CommandCapable } from "../broker/commands.ts";
import { MemoryAuditLog, type AuditEntry, type AuditLog } from "../audit/log.ts";
import type { Logger } from "../core/types.ts";
import { AUDIT_KEY } from "./keys.ts";

/** LPUSH and LTRIM in one step, so the list never outgrows its bound. */
const RECORD_SCRIPT = "redis.call('LPUSH', KEYS[1], ARGV[1]); redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1); return 1";

export class RedisAuditLog implements AuditLog {
  private readonly fallback: MemoryAuditLog;
  private failing = false;

  constructor(
    private readonly redis: CommandCapable,
    private readonly log: Logger,
    private readonly capacity = 1000,
  ) {
    this.fallback = new MemoryAuditLog(capacity);
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.fallback.record(entry);
    try {
      await this.redis.command("EVAL", RECORD_SCRIPT, 1, AUDIT_KEY, JSON.stringify(entry), this.capacity);
      this.recovered();
    } catch (err) {
      this.failed(err);
    }
  }

  async list(limit: number): Promise<AuditEntry[]> {
    try {
      const items = (await this.redis.command("LRANGE", AUDIT_KEY, 0, Math.max(0, limit - 1))) as string[];
      this.recovered();
      return items.flatMap((text) => parseJsonObject<AuditEntry>(text) ?? []);
    } catch (err) {
      this.failed(err);
      return this.fallback.list(limit);
    }
  }

  private failed(err: unknown): void {
    if (!this.failing) this.log.warn({ err: String(err) }, "audit log in Redis unavailable; keeping entries in memory meanwhile");
    this.failing = true;
  }

  private recovered(): void {
    if (this.failing) this.log.info({}, "audit log in Redis available again");
    this.failing = false;
  }
}
