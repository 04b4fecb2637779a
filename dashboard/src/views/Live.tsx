/**
 * @module dashboard/views/Live
 * The live event stream: newest first, filtered by type and text, bounded to the store's last
 * LOG_LIMIT events, re-rendered at most four times a second. Pause freezes what is shown while
 * the store keeps receiving. In aggregated mode the server sends only per-second counts, shown
 * here instead of individual events.
 */
import { Component } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { AdminStreamEventName } from "../../../shared/admin.ts";
import { entryTime, formatCount, formatTime, summarize } from "../format.ts";
import { useLiveState } from "../hooks.ts";
import { LOG_LIMIT, type LogEntry, type LiveState } from "../live/store.ts";
import { useSession } from "../session.ts";

const TYPES: AdminStreamEventName[] = [
  "client:connected", "client:authenticated", "client:disconnected", "room:joined", "room:left", "emit", "instance:up", "instance:down",
];

/** Each entry's line, computed once (entries are immutable; the cache goes with them). */
const lines = new WeakMap<LogEntry, string>();
function lineOf(entry: LogEntry): string {
  let line = lines.get(entry);
  if (line === undefined) lines.set(entry, (line = summarize(entry)));
  return line;
}

function matches(entry: LogEntry, types: Set<AdminStreamEventName>, text: string): boolean {
  if (!types.has(entry.event)) return false;
  return text === "" || lineOf(entry).toLowerCase().includes(text);
}

/**
 * One log line. Entries never change, so a rendered row is never diffed again: with a busy
 * stream each render only adds the new rows and drops the oldest.
 */
class LogRow extends Component<{ entry: LogEntry }> {
  override shouldComponentUpdate(next: { entry: LogEntry }): boolean {
    return next.entry !== this.props.entry;
  }

  override render() {
    const e = this.props.entry;
    return (
      <li data-event={e.event}>
        <time class="sb-muted">{formatTime(entryTime(e))}</time> <span class={`sb-tag sb-tag-${e.event.split(":")[0]}`}>{e.event}</span>{" "}
        <span class="sb-wrap">{lineOf(e)}</span>
      </li>
    );
  }
}

function AggregateNotice({ live }: { live: LiveState }) {
  if (!live.aggregated) return null;
  const counts = live.lastAggregate?.counts ?? {};
  return (
    <div class="sb-alert sb-aggregate" role="status" data-aggregated="true">
      <p>
        Aggregated mode: the cluster produces more than {formatCount(live.aggregated.threshold)} events per second, so the server streams counts
        per second instead of individual events.
      </p>
      <ul class="sb-chips">
        {TYPES.map((t) => (
          <li key={t} class="sb-chip">
            {t}: {formatCount(counts[t] ?? 0)}/s
          </li>
        ))}
      </ul>
    </div>
  );
}

function TypeFilters({ types, onToggle }: { types: Set<AdminStreamEventName>; onToggle(t: AdminStreamEventName): void }) {
  return (
    <fieldset class="sb-fieldset sb-types">
      <legend>Event types</legend>
      {TYPES.map((t) => (
        <label key={t} class="sb-check">
          <input type="checkbox" name="type" value={t} checked={types.has(t)} onChange={() => onToggle(t)} />
          {t}
        </label>
      ))}
    </fieldset>
  );
}

export function LiveView() {
  const { store } = useSession();
  const live = useLiveState(store, 250);
  const [frozen, setFrozen] = useState<{ log: readonly LogEntry[]; received: number } | undefined>();
  const [types, setTypes] = useState(() => new Set(TYPES));
  const [text, setText] = useState("");
  const [clearedAt, setClearedAt] = useState(0);
  const source = frozen?.log ?? live.log;
  const needle = text.trim().toLowerCase();
  const shown = useMemo(() => source.filter((e) => e.seq > clearedAt && matches(e, types, needle)).reverse(), [source, types, needle, clearedAt]);
  const toggle = (t: AdminStreamEventName) =>
    setTypes((prev) => {
      const next = new Set(prev);
      if (!next.delete(t)) next.add(t);
      return next;
    });
  return (
    <section class="sb-view" aria-label="Live events">
      <h2>Live events</h2>
      <AggregateNotice live={live} />
      <div class="sb-toolbar">
        <button type="button" class="sb-button sb-primary" aria-pressed={frozen !== undefined} onClick={() => setFrozen(frozen ? undefined : { log: live.log, received: live.received })}>
          {frozen ? "Resume" : "Pause"}
        </button>
        <button type="button" class="sb-button" onClick={() => setClearedAt(live.received)}>
          Clear
        </button>
        <label class="sb-field sb-grow">
          <span>Filter text</span>
          <input type="search" name="filter" placeholder="client id, room, event…" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <span class="sb-muted" aria-live="polite">
          {frozen ? `Paused: ${formatCount(live.received - frozen.received)} new events not shown. ` : ""}
          Showing {formatCount(shown.length)} (the last {LOG_LIMIT} events are kept).
        </span>
      </div>
      <TypeFilters types={types} onToggle={toggle} />
      <ol class="sb-log" aria-label="Events, newest first">
        {shown.map((e) => (
          <LogRow key={e.seq} entry={e} />
        ))}
      </ol>
      {shown.length === 0 && <p class="sb-muted">No events yet{frozen ? " (paused)" : ""}.</p>}
    </section>
  );
}
