/**
 * @module server/core/history
 * Message history of rooms matching `HISTORY_ROOMS`, for recovery after a reconnect. Every
 * message to such a room gets the next `seq` of that room (monotonic and gap-free across the
 * cluster when the store is shared) and is kept: the last `size` messages, for `ttlMs`.
 *
 * `since(room, after)` returns the kept messages with `seq > after`, in order, and whether that
 * is everything the client missed (`complete`): false when some of them already fell out of the
 * history (by size or age), or when `after` is ahead of the room's sequence (a reset store).
 */
import type { OutboundFrame } from "../../shared/protocol.ts";

export interface HistorySlice {
  frames: OutboundFrame[];
  complete: boolean;
  /** The room's latest seq (0 when nothing was ever sent). */
  seq: number;
}

export interface HistoryStore {
  /** Assigns the next seq, stores the frame and returns it (with `seq` and `room`). */
  append(room: string, event: string, data: unknown): Promise<OutboundFrame>;
  since(room: string, after: number): Promise<HistorySlice>;
  /** The newest `limit` kept frames, oldest first. */
  latest(room: string, limit: number): Promise<HistorySlice>;
  /** The room's latest seq (0 when nothing was sent or it was forgotten). */
  position(room: string): Promise<number>;
}

/** The store could not take a message (its backend is down): nothing was delivered. */
export class HistoryUnavailableError extends Error {
  constructor(room: string, cause: unknown) {
    super(`history of room ${room} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "HistoryUnavailableError";
  }
}

interface RoomLog {
  seq: number;
  entries: Array<{ frame: OutboundFrame; at: number }>;
}

/** In-process history: a ring of `size` frames per room, expired by age on every access. */
export class MemoryHistory implements HistoryStore {
  private readonly rooms = new Map<string, RoomLog>();

  constructor(
    private readonly size: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async append(room: string, event: string, data: unknown): Promise<OutboundFrame> {
    const log = this.rooms.get(room) ?? { seq: 0, entries: [] };
    this.rooms.set(room, log);
    this.expire(log);
    log.seq += 1;
    const frame: OutboundFrame = data === undefined ? { event, seq: log.seq, room } : { event, data, seq: log.seq, room };
    log.entries.push({ frame, at: this.now() });
    if (log.entries.length > this.size) log.entries.splice(0, log.entries.length - this.size);
    return frame;
  }

  async since(room: string, after: number): Promise<HistorySlice> {
    const log = this.rooms.get(room);
    if (!log) return { frames: [], complete: after === 0, seq: 0 };
    this.expire(log);
    const frames = log.entries.filter((e) => e.frame.seq! > after).map((e) => e.frame);
    return { frames, complete: isComplete(after, log.seq, frames), seq: log.seq };
  }

  async latest(room: string, limit: number): Promise<HistorySlice> {
    const log = this.rooms.get(room);
    if (!log) return { frames: [], complete: true, seq: 0 };
    this.expire(log);
    return { frames: log.entries.slice(-limit).map((e) => e.frame), complete: true, seq: log.seq };
  }

  async position(room: string): Promise<number> {
    return this.rooms.get(room)?.seq ?? 0;
  }

  private expire(log: RoomLog): void {
    const cutoff = this.now() - this.ttlMs;
    let drop = 0;
    while (drop < log.entries.length && log.entries[drop]!.at < cutoff) drop += 1;
    if (drop > 0) log.entries.splice(0, drop);
  }
}

/** Everything after `after` up to `seq` is present in `frames` (which are ordered by seq). */
export function isComplete(after: number, seq: number, frames: OutboundFrame[]): boolean {
  if (after > seq) return false;
  if (after === seq) return true;
  return frames.length > 0 && frames[0]!.seq === after + 1 && frames[frames.length - 1]!.seq === seq;
}
