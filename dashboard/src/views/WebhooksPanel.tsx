/**
 * @module dashboard/views/WebhooksPanel
 * The Overview's webhook receivers (SPEC §13, `GET /api/webhooks`): per receiver delivered,
 * failed, pending, last error and last success, refreshed every 5 s. Renders nothing while
 * webhooks are not configured (or the request fails: the rest of the Overview still works).
 */
import { formatAgo, formatCount } from "../format.ts";
import { useNow, useRequest } from "../hooks.ts";
import { useSession } from "../session.ts";
import type { ReceiverStatus } from "../../../shared/webhooks.ts";


export function WebhooksPanel() {
  const { api } = useSession();
  const now = useNow(5000);
  const status = useRequest(() => api.request<{ enabled: boolean; items: ReceiverStatus[] }>("GET", "/webhooks"), [now]);
  if (!status.data?.enabled) return null;
  return (
    <>
      <h3>Webhooks</h3>
      <div class="sb-table-wrap">
        <table class="sb-table" aria-label="Webhook receivers">
          <thead>
            <tr>
              <th scope="col">Receiver</th>
              <th scope="col" class="sb-num">Delivered</th>
              <th scope="col" class="sb-num">Failed</th>
              <th scope="col" class="sb-num">Pending</th>
              <th scope="col">Last success</th>
              <th scope="col" class="sb-hide-sm">Last error</th>
            </tr>
          </thead>
          <tbody>
            {status.data.items.map((r) => (
              <tr key={r.url}>
                <td class="sb-mono">{r.url}</td>
                <td class="sb-num">{formatCount(r.delivered)}</td>
                <td class="sb-num">
                  <span class={r.failed > 0 ? "sb-badge sb-badge-bad" : undefined}>{formatCount(r.failed)}</span>
                </td>
                <td class="sb-num">{formatCount(r.pending)}</td>
                <td>{r.lastSuccessAt ? formatAgo(Date.parse(r.lastSuccessAt), now) : "never"}</td>
                <td class="sb-hide-sm">{r.lastError ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
