/**
 * @module dashboard/live/store
 * The state the admin channel feeds: status, role, stats with a short history for the charts,
 * instances, and a bounded log of stream events. Frames are applied as they arrive, but
 * subscribers are told at most once per animation frame (and not at all while the tab is
 * hidden), so a busy server costs the page one render per frame, not one per event.
 *
 * Views that show server-side pages (clients, rooms, the audit log) don't get the rows from
 * here: they watch `changes` / `emits` / `generation` and refetch their page, throttled.
 */
import type { AdminFrame, AdminStreamEventName, AdminStreamEvents, InstanceData, StatsData } from "../../../shared/admin.ts";
import type { LiveStatus } from "./channel.ts";

/** How many stream events the log keeps (older ones fall off). */
export const LOG_LIMIT = 500;
/** How many stats samples (one a second) the charts keep: five minutes. */
export const SERIES_LIMIT = 300;

export type LogEntry = { [K in AdminStreamEventName]: { seq: number; event: K; data: AdminStreamEvents[K] } }[AdminStreamEventName];

export interface Series {
  /** Seconds since the epoch (uPlot's x unit). */
  t: number[];
  connections: number[];
  authenticated: number[];
  messagesIn: number[];
  messagesOut: number[];
}

export interface LiveState {
  status: LiveStatus;
  attempt: number;
  retryInMs?: number;
  role?: "admin" | "viewer";
  stats?: StatsData;
  instances: InstanceData[];
  series: Series;
  /** Oldest first, at most LOG_LIMIT entries. */
  log: readonly LogEntry[];
  /** Stream events received since the mount (the log's `seq` counter). */
  received: number;
  /** Set while the server streams only aggregated counts. */
  aggregated?: { eventsPerSec: number; threshold: number };
  lastAggregate?: { counts: Partial<Record<AdminStreamEventName, number>>; at: number };
  /** Bumped when clients or rooms may have changed. */
  changes: number;
  /** Bumped when something was emitted (the sent log may have grown). */
  emits: number;
  /** Bumped on every snapshot, i.e. after each (re)connection. */
  generation: number;
}

const EMPTY_SERIES: Series = { t: [], connections: [], authenticated: [], messagesIn: [], messagesOut: [] };

function append(list: number[], value: number): number[] {
  const next = list.length >= SERIES_LIMIT ? list.slice(list.length - SERIES_LIMIT + 1) : list.slice();
  next.push(value);
  return next;
}

function addSample(s: Series, stats: StatsData, at: number): Series {
  return {
    t: append(s.t, at / 1000), connections: append(s.connections, stats.connections), authenticated: append(s.authenticated, stats.authenticated),
    messagesIn: append(s.messagesIn, stats.messagesInPerSec), messagesOut: append(s.messagesOut, stats.messagesOutPerSec),
  };
}

type Schedule = (flush: () => void) => void;

/** requestAnimationFrame where there is one (it also pauses in hidden tabs), else a 16 ms timer. */
const defaultSchedule: Schedule = (flush) => {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
  else setTimeout(flush, 16);
};

export class LiveStore {
  private state: LiveState = { status: "connecting", attempt: 0, instances: [], series: EMPTY_SERIES, log: [], received: 0, changes: 0, emits: 0, generation: 0 };
  private next: Partial<LiveState> = {};
  private log: LogEntry[] = [];
  private logDirty = false;
  private scheduled = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly schedule: Schedule = defaultSchedule) {}

  get(): LiveState {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setStatus(status: LiveStatus, detail: { attempt: number; retryInMs?: number }): void {
    this.update({ status, attempt: detail.attempt, retryInMs: detail.retryInMs });
  }

  apply(frame: AdminFrame): void {
    const cur = { ...this.state, ...this.next };
    switch (frame.event) {
      case "snapshot":
        return this.update({
          role: frame.data.role, stats: frame.data.stats, instances: frame.data.instances,
          generation: cur.generation + 1, changes: cur.changes + 1, emits: cur.emits + 1,
        });
      case "stats":
        return this.update({ stats: frame.data, series: addSample(cur.series, frame.data, frame.data.at) });
      case "mode":
        return this.update({ aggregated: frame.data.aggregated ? { eventsPerSec: frame.data.eventsPerSec, threshold: frame.data.threshold } : undefined });
      case "aggregate":
        return this.applyAggregate(frame.data.counts, frame.data.at, cur);
      case "error":
        return;
      default:
        return this.record(frame, cur);
    }
  }

  private applyAggregate(counts: Partial<Record<AdminStreamEventName, number>>, at: number, cur: LiveState): void {
    const emitted = (counts.emit ?? 0) > 0;
    const changed = Object.entries(counts).some(([name, n]) => name !== "emit" && (n ?? 0) > 0);
    this.update({ lastAggregate: { counts, at }, changes: cur.changes + (changed ? 1 : 0), emits: cur.emits + (emitted ? 1 : 0) });
  }

  private record(frame: Exclude<AdminFrame, { event: "snapshot" | "stats" | "mode" | "aggregate" | "error" }>, cur: LiveState): void {
    const seq = cur.received + 1;
    this.log.push({ seq, event: frame.event, data: frame.data } as LogEntry);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    this.logDirty = true;
    const isEmit = frame.event === "emit";
    this.update({ received: seq, changes: cur.changes + (isEmit ? 0 : 1), emits: cur.emits + (isEmit ? 1 : 0) });
  }

  private update(patch: Partial<LiveState>): void {
    Object.assign(this.next, patch);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Publishes everything applied since the last flush as one new state object. */
  flush(): void {
    this.scheduled = false;
    const log = this.logDirty ? this.log.slice() : this.state.log;
    this.logDirty = false;
    this.state = { ...this.state, ...this.next, log };
    this.next = {};
    for (const listener of this.listeners) listener();
  }
}
