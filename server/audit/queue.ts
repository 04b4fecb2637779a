/**
 * @module server/audit/queue
 * Keeps the audit write off the REST emit's critical path. `record` only enqueues (it resolves
 * at once); one writer hands the entries to the store (memory, or Redis) in order, one at a time.
 *
 * Bounded, never silently lossy: at most `limit` entries wait; an entry beyond that is dropped,
 * counted (`dropped`) and logged once per overflow episode with the episode's count. `list`
 * first waits for the entries queued before it, so a read after an emit shows that emit.
 */
import type { Logger } from "../core/types.ts";
import type { AuditEntry, AuditLog } from "./log.ts";

/** Entries waiting for the store at most. */
export const AUDIT_QUEUE_LIMIT = 10_000;

export class AuditQueue implements AuditLog {
  private readonly waiting: AuditEntry[] = [];
  private writing?: Promise<void>;
  private droppedInEpisode = 0;
  /** Entries dropped because the queue was full, since start. */
  dropped = 0;

  constructor(
    private readonly store: AuditLog,
    private readonly log: Logger,
    private readonly limit = AUDIT_QUEUE_LIMIT,
  ) {}

  get size(): number {
    return this.waiting.length;
  }

  async record(entry: AuditEntry): Promise<void> {
    if (this.waiting.length >= this.limit) {
      this.dropped += 1;
      if (this.droppedInEpisode++ === 0) this.log.error({ limit: this.limit }, "audit queue full: entries are being dropped until the store catches up");
      return;
    }
    this.waiting.push(entry);
    this.writing ??= this.writeAll();
  }

  async list(limit: number): Promise<AuditEntry[]> {
    await this.flush();
    return this.store.list(limit);
  }

  /** Resolves once every entry queued so far reached the store. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeAll(): Promise<void> {
    try {
      for (let entry = this.waiting.shift(); entry; entry = this.waiting.shift()) {
        try {
          await this.store.record(entry);
        } catch (err) {
          this.log.error({ err: String(err), id: entry.id }, "audit entry could not be stored");
        }
      }
      if (this.droppedInEpisode > 0) this.log.warn({ dropped: this.droppedInEpisode, total: this.dropped }, "audit queue drained after dropping entries");
      this.droppedInEpisode = 0;
    } finally {
      this.writing = undefined;
    }
  }
}
