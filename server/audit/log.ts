/**
 * @module server/audit/log
 * A bounded log of emits made through the API (who, when, target, event, recipients): newest
 * first, at most `capacity` entries. In memory by default; `RedisAuditLog` keeps it in Redis so
 * every instance shows the same log.
 */
import type { Target } from "../core/target.ts";

export interface AuditEntry {
  id: string;
  at: number;
  by: string;
  target: Target;
  event: string;
  recipients: number;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(limit: number): Promise<AuditEntry[]>;
}

export class MemoryAuditLog implements AuditLog {
  private readonly entries: AuditEntry[] = [];

  constructor(private readonly capacity = 1000) {}

  async record(entry: AuditEntry): Promise<void> {
    this.entries.unshift(entry);
    if (this.entries.length > this.capacity) this.entries.length = this.capacity;
  }

  async list(limit: number): Promise<AuditEntry[]> {
    return this.entries.slice(0, limit);
  }
}
