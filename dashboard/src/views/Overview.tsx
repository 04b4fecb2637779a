/**
 * @module dashboard/views/Overview
 * Cluster totals, live charts of connections and messages per second (from the `stats` frame
 * the admin channel sends every second), and the health of each instance.
 */
import type { InstanceData } from "../../../shared/admin.ts";
import { TimeChart } from "../components/TimeChart.tsx";
import { formatAgo, formatCount, formatPercent, formatRate } from "../format.ts";
import { useLiveSelect, useNow, useRequest } from "../hooks.ts";
import { useSession } from "../session.ts";
import { WebhooksPanel } from "./WebhooksPanel.tsx";

function Stat({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div class="sb-stat">
      <div class="sb-stat-label">{label}</div>
      <div class="sb-stat-value">{value}</div>
      {detail && <div class="sb-stat-detail">{detail}</div>}
    </div>
  );
}

function InstancesTable({ items, now }: { items: InstanceData[]; now: number }) {
  return (
    <div class="sb-table-wrap">
      <table class="sb-table">
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Health</th>
            <th scope="col" class="sb-num">Connections</th>
            <th scope="col" class="sb-hide-sm">Host</th>
            <th scope="col" class="sb-hide-sm">PID</th>
            <th scope="col">Started</th>
            <th scope="col" class="sb-hide-sm">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.id}>
              <td class="sb-mono">{i.id}</td>
              <td>
                <span class={i.healthy ? "sb-badge sb-badge-ok" : "sb-badge sb-badge-bad"}>{i.healthy ? "healthy" : "unhealthy"}</span>
              </td>
              <td class="sb-num">{formatCount(i.connections)}</td>
              <td class="sb-hide-sm">{i.host}</td>
              <td class="sb-hide-sm">{i.pid}</td>
              <td>{formatAgo(i.startedAt, now)}</td>
              <td class="sb-hide-sm">{formatAgo(i.lastSeen, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OverviewView() {
  const { store, api, theme } = useSession();
  const live = useLiveSelect(store, (s) => ({ stats: s.stats, series: s.series, generation: s.generation, snapshot: s.instances }));
  const now = useNow(5000);
  const instances = useRequest(() => api.instances(), [live.generation, now]);
  const st = live.stats;
  const items = instances.data?.items ?? live.snapshot;
  const { t, connections, authenticated, messagesIn, messagesOut } = live.series;
  return (
    <section class="sb-view" aria-label="Overview">
      <h2>Overview</h2>
      <div class="sb-stats">
        <Stat label="Connections" value={formatCount(st?.connections)} />
        <Stat label="Authenticated" value={formatCount(st?.authenticated)} />
        <Stat label="Encrypted" value={formatPercent(st?.encrypted, st?.authenticated)} detail={`${formatCount(st?.encrypted)} sessions`} />
        <Stat label="Rooms" value={formatCount(st?.rooms)} />
        <Stat label="Users" value={formatCount(st?.users)} />
        <Stat label="Instances" value={formatCount(st?.instances)} detail={`${items.filter((i) => i.healthy).length} healthy`} />
        <Stat label="Messages in/s" value={formatRate(st?.messagesInPerSec)} />
        <Stat label="Messages out/s" value={formatRate(st?.messagesOutPerSec)} />
      </div>
      <div class="sb-charts">
        <figure class="sb-card">
          <figcaption>Connections</figcaption>
          <TimeChart
            label="Connections over the last minutes"
            theme={theme}
            series={[{ label: "connections", colorVar: "--sb-chart-1" }, { label: "authenticated", colorVar: "--sb-chart-2" }]}
            data={[t, connections, authenticated]}
          />
        </figure>
        <figure class="sb-card">
          <figcaption>Messages per second</figcaption>
          <TimeChart
            label="Messages per second over the last minutes"
            theme={theme}
            series={[{ label: "in", colorVar: "--sb-chart-3" }, { label: "out", colorVar: "--sb-chart-4" }]}
            data={[t, messagesIn, messagesOut]}
          />
        </figure>
      </div>
      <h3>Instances</h3>
      {instances.error && <p class="sb-alert sb-alert-error">{instances.error.message}</p>}
      <InstancesTable items={items} now={now} />
      <WebhooksPanel />
    </section>
  );
}
