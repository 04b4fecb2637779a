/**
 * @module dashboard/views/Clients
 * Connected clients, one server-side page at a time (50 rows, cursor pagination), so the view
 * costs the same with 10 clients or 10,000. The page is refetched when the live stream reports
 * changes, at most every 1.5 s.
 */
import { useState } from "preact/hooks";
import type { ClientData } from "../../../shared/admin.ts";
import type { ClientQuery } from "../api/client.ts";
import { EncryptionBadge, StateBadge, TransportBadge } from "../components/Badges.tsx";
import { DataTable, type Column } from "../components/DataTable.tsx";
import { Pager, usePager } from "../components/Pager.tsx";
import { formatAgo, shortId } from "../format.ts";
import { useLiveSelect, useNow, useRequest, useThrottled } from "../hooks.ts";
import { useSession } from "../session.ts";
import { ClientDetail } from "./ClientDetail.tsx";
import { ClientFilters } from "./ClientFilters.tsx";

const PAGE_SIZE = 50;

function Rooms({ rooms }: { rooms: string[] }) {
  if (rooms.length === 0) return <span class="sb-muted">none</span>;
  const shown = rooms.slice(0, 3).join(", ");
  return <span title={rooms.join(", ")}>{rooms.length > 3 ? `${shown} +${rooms.length - 3}` : shown}</span>;
}

function clientColumns(now: number, onOpen: (id: string) => void): Column<ClientData>[] {
  return [
    {
      header: "Client",
      cell: (c) => (
        <button type="button" class="sb-link sb-mono" title={c.id} onClick={() => onOpen(c.id)} aria-label={`Details of client ${c.id}`}>
          {shortId(c.id)}
        </button>
      ),
    },
    { header: "User", cell: (c) => c.userId ?? <span class="sb-muted">–</span> },
    { header: "Encryption", cell: (c) => <EncryptionBadge encrypted={c.encrypted} /> },
    { header: "Transport", class: "sb-hide-sm", cell: (c) => <TransportBadge transport={c.transport} /> },
    { header: "State", class: "sb-hide-sm", cell: (c) => <StateBadge state={c.state} /> },
    { header: "Rooms", cell: (c) => <Rooms rooms={c.rooms} /> },
    { header: "Instance", class: "sb-hide-sm sb-col-extra sb-mono", cell: (c) => c.instanceId },
    { header: "Connected", class: "sb-hide-sm sb-col-extra", cell: (c) => formatAgo(c.connectedAt, now) },
    { header: "Address", class: "sb-hide-sm sb-col-extra sb-mono", cell: (c) => c.remoteAddress },
  ];
}

export function ClientsView({ initialFilter }: { initialFilter: ClientQuery }) {
  const { api, store } = useSession();
  const [filter, setFilter] = useState<ClientQuery>(initialFilter);
  const [selected, setSelected] = useState<string | undefined>();
  const pager = usePager();
  const live = useLiveSelect(store, (s) => ({ changes: s.changes, generation: s.generation, instances: s.instances }));
  const changes = useThrottled(live.changes, 1500);
  const now = useNow(10_000);
  const index = pager.index;
  const page = useRequest(async () => ({ index, ...(await api.clients({ ...filter, limit: PAGE_SIZE, cursor: pager.cursor })) }), [filter, pager.cursor, changes, live.generation]);
  const items = page.data?.items ?? [];
  const apply = (next: ClientQuery) => {
    pager.reset();
    setFilter(next);
  };
  return (
    <section class={selected ? "sb-view sb-with-panel" : "sb-view"} aria-label="Clients">
      <div class="sb-view-main">
        <h2>Clients</h2>
        <ClientFilters value={filter} instances={live.instances.map((i) => i.id)} onApply={apply} />
        {page.error && <p class="sb-alert sb-alert-error" role="alert">{page.error.message}</p>}
        <DataTable
          columns={clientColumns(now, setSelected)}
          rows={items}
          rowKey={(c) => c.id}
          rowAttributes={(c) => ({ "data-client-id": c.id })}
          selectedKey={selected}
          onActivate={(c) => setSelected(c.id)}
          loading={page.loading}
        />
        {page.data && <Pager pager={pager} index={page.data.index} pageSize={PAGE_SIZE} shown={items.length} total={page.data.total} nextCursor={page.data.nextCursor} noun="clients" />}
      </div>
      {selected && <ClientDetail id={selected} onClose={() => setSelected(undefined)} />}
    </section>
  );
}
