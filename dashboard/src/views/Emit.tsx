/**
 * @module dashboard/views/Emit
 * The emit form (admins only) and the log of what was sent (`GET /api/audit`: who, when, to
 * whom, which event, how many recipients), refreshed when the stream reports an emit.
 */
import type { AuditEntry } from "../api/client.ts";
import { DataTable, type Column } from "../components/DataTable.tsx";
import { describeTarget, formatCount, formatTime } from "../format.ts";
import { useLiveSelect, useRequest, useThrottled } from "../hooks.ts";
import { useSession } from "../session.ts";
import { EmitForm } from "./EmitForm.tsx";

const AUDIT_COLUMNS: Column<AuditEntry>[] = [
  { header: "Time", cell: (e) => formatTime(e.at) },
  { header: "Event", class: "sb-mono", cell: (e) => e.event },
  { header: "Target", cell: (e) => describeTarget(e.target) },
  { header: "Recipients", class: "sb-num", cell: (e) => formatCount(e.recipients) },
  { header: "By", class: "sb-hide-sm", cell: (e) => e.by },
];

export function AuditLog() {
  const { api, store } = useSession();
  const emits = useThrottled(useLiveSelect(store, (s) => s.emits), 1000);
  const audit = useRequest(() => api.audit(50), [emits]);
  return (
    <section aria-label="Sent log">
      <h3>Sent log</h3>
      {audit.error && <p class="sb-alert sb-alert-error">{audit.error.message}</p>}
      <DataTable columns={AUDIT_COLUMNS} rows={audit.data?.items ?? []} rowKey={(e) => e.id} loading={audit.loading} empty="Nothing has been sent yet." class="sb-audit" />
    </section>
  );
}

export function EmitView() {
  const { canManage } = useSession();
  return (
    <section class="sb-view" aria-label="Emit">
      <h2>Emit</h2>
      <div class="sb-split">
        <div class="sb-card">
          {canManage ? (
            <EmitForm />
          ) : (
            <p class="sb-alert" role="note">
              You are logged in with a viewer token: you can see what was sent, but not send anything.
            </p>
          )}
        </div>
        <div>
          <AuditLog />
        </div>
      </div>
    </section>
  );
}
