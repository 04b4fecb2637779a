/**
 * @module dashboard/views/Rooms
 * Rooms and their sizes (server-side search and cursor pagination); the selected room shows
 * its first members (all of them are one click away in Clients, paginated there), its kept
 * history when it is a history room, and, for an admin, a form to emit to it.
 */
import { useState } from "preact/hooks";
import type { RoomItem } from "../api/client.ts";
import { EncryptionBadge } from "../components/Badges.tsx";
import { DataTable, type Column } from "../components/DataTable.tsx";
import { Pager, usePager } from "../components/Pager.tsx";
import { SearchForm } from "../components/SearchForm.tsx";
import { formatCount, shortId } from "../format.ts";
import { useLiveSelect, useRequest, useThrottled } from "../hooks.ts";
import { useSession } from "../session.ts";
import { EmitForm } from "./EmitForm.tsx";

const PAGE_SIZE = 50;
const MEMBERS_SHOWN = 20;

function RoomDetail({ room: { name: room, history } }: { room: RoomItem }) {
  const { api, store, canManage, navigate } = useSession();
  const changes = useThrottled(useLiveSelect(store, (s) => s.changes), 1500);
  const members = useRequest(() => api.clients({ room, limit: MEMBERS_SHOWN }), [room, changes]);
  const total = members.data?.total ?? 0;
  return (
    <div class="sb-card sb-room-detail" aria-label={`Room ${room}`}>
      <h3 class="sb-mono">{room}</h3>
      <p>
        {formatCount(total)} {total === 1 ? "member" : "members"}
        {total > MEMBERS_SHOWN && <span class="sb-muted"> (first {MEMBERS_SHOWN} shown)</span>}
      </p>
      <ul class="sb-members">
        {members.data?.items.map((c) => (
          <li key={c.id}>
            <span class="sb-mono" title={c.id}>
              {shortId(c.id)}
            </span>{" "}
            {c.userId ?? "–"} <EncryptionBadge encrypted={c.encrypted} />
          </li>
        ))}
      </ul>
      <button type="button" class="sb-button" onClick={() => navigate("clients", { room })}>
        Show members in Clients
      </button>
      {history && <RoomHistoryList room={room} changes={changes} />}
      {canManage && (
        <>
          <h4>Emit to this room</h4>
          <EmitForm fixedTarget={{ room }} />
        </>
      )}
    </div>
  );
}

const HISTORY_SHOWN = 20;

/** The kept messages of a history room (HISTORY_ROOMS); only shown for rooms the server flags `history`. */
function RoomHistoryList({ room, changes }: { room: string; changes: number }) {
  const { api } = useSession();
  const history = useRequest(() => api.history(room, HISTORY_SHOWN), [room, changes]);
  if (history.error) return <p class="sb-alert sb-alert-error">History: {history.error.message}</p>;
  if (!history.data) return null;
  const { seq, items } = history.data;
  return (
    <div class="sb-room-history" aria-label={`History of ${room}`}>
      <h4>
        History <span class="sb-muted">(seq {seq}, last {items.length} kept)</span>
      </h4>
      {items.length === 0 ? (
        <p class="sb-muted">No message is kept right now.</p>
      ) : (
        <ol class="sb-history">
          {[...items].reverse().map((m) => (
            <li key={m.seq} data-seq={m.seq}>
              <span class="sb-mono">#{m.seq}</span> <strong>{m.event}</strong> <code class="sb-mono">{JSON.stringify(m.data ?? null).slice(0, 120)}</code>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function roomColumns(selected: string | undefined, onSelect: (room: RoomItem) => void): Column<RoomItem>[] {
  return [
    {
      header: "Room",
      cell: (r) => (
        <button type="button" class="sb-link sb-mono" aria-pressed={r.name === selected} onClick={() => onSelect(r)}>
          {r.name}
        </button>
      ),
    },
    { header: "Members", class: "sb-num", cell: (r) => formatCount(r.size) },
  ];
}

export function RoomsView() {
  const { api, store } = useSession();
  const [q, setQ] = useState("");
  const [applied, setApplied] = useState("");
  const [selected, setSelected] = useState<RoomItem | undefined>();
  const pager = usePager();
  const live = useLiveSelect(store, (s) => ({ changes: s.changes, generation: s.generation }));
  const changes = useThrottled(live.changes, 1500);
  const index = pager.index;
  const page = useRequest(async () => ({ index, ...(await api.rooms({ q: applied, limit: PAGE_SIZE, cursor: pager.cursor })) }), [applied, pager.cursor, changes, live.generation]);
  const items = page.data?.items ?? [];
  return (
    <section class="sb-view" aria-label="Rooms">
      <h2>Rooms</h2>
      <div class="sb-split">
        <div>
          <SearchForm
            label="Search rooms"
            onSubmit={() => {
              pager.reset();
              setApplied(q.trim());
            }}
          >
            <label class="sb-field sb-grow">
              <span>Search rooms</span>
              <input type="search" name="q" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
            </label>
            <div class="sb-filter-actions">
              <button type="submit" class="sb-button sb-primary">
                Search
              </button>
            </div>
          </SearchForm>
          {page.error && <p class="sb-alert sb-alert-error">{page.error.message}</p>}
          <DataTable
            columns={roomColumns(selected?.name, setSelected)}
            rows={items}
            rowKey={(r) => r.name}
            rowAttributes={(r) => ({ "data-room": r.name })}
            selectedKey={selected?.name}
            onActivate={(r: RoomItem) => setSelected(r)}
            loading={page.loading}
            stackOnPhone={false}
          />
          {page.data && <Pager pager={pager} index={page.data.index} pageSize={PAGE_SIZE} shown={items.length} total={page.data.total} nextCursor={page.data.nextCursor} noun="rooms" />}
        </div>
        <div>{selected ? <RoomDetail key={selected.name} room={selected} /> : <p class="sb-muted sb-card">Select a room to see its members and emit to it.</p>}</div>
      </div>
    </section>
  );
}
