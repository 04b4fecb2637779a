/**
 * @module dashboard/views/Emit
 * The emit form (admins only) and the log of what was sent (`GET /api/audit`: who, when, to
 * whom, which event, how many recipients), refreshed when the stream reports an emit.
 */
import { describeTarget, formatCount, formatTime } from "../format.ts";
import { useLiveSelect, useRequest, useThrottled } from "../hooks.ts";
import { useSession } from "../session.ts";
import { EmitForm } from "./EmitForm.tsx";

export function AuditLog() {
  const { api, store } = useSession();
  const emits = useThrottled(useLiveSelect(store, (s) => s.emits), 1000);
  const audit = useRequest(() => api.audit(50), [emits]);
  const items = audit.data?.items ?? [];
  return (
    <section aria-label="Sent log">
      <h3>Sent log</h3>
      {audit.error && <p class="sb-alert sb-alert-error">{audit.error.message}</p>}
      {items.length === 0 && !audit.loading && <p class="sb-muted">Nothing has been sent yet.</p>}
      {items.length > 0 && (
        <div class="sb-table-wrap">
          <table class="sb-table sb-audit">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Target</th>
                <th scope="col" class="sb-num">Recipients</th>
                <th scope="col" class="sb-hide-sm">By</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td>{formatTime(e.at)}</td>
                  <td class="sb-mono">{e.event}</td>
                  <td>{describeTarget(e.target)}</td>
                  <td class="sb-num">{formatCount(e.recipients)}</td>
                  <td class="sb-hide-sm">{e.by}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
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
