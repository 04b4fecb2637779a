/**
 * @module dashboard/views/Overview
 * Cluster totals, live charts of connections and messages per second (from the `stats` frame
 * the admin channel sends every second), and the health of each instance.
 */
import type { InstanceData } from "../../../shared/admin.ts";
import { DataTable, type Column } from "../components/DataTable.tsx";
import { TimeChart, type ChartSeries, type TimeChartProps } from "../components/TimeChart.tsx";
import { formatAgo, formatCount, formatPercent, formatRate } from "../format.ts";
import { useLiveSelect, useNow, useRequest } from "../hooks.ts";
import type { Series } from "../live/store.ts";
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

function instanceColumns(now: number): Column<InstanceData>[] {
  return [
    { header: "Instance", class: "sb-mono", cell: (i) => i.id },
    { header: "Health", cell: (i) => <span class={i.healthy ? "sb-badge sb-badge-ok" : "sb-badge sb-badge-bad"}>{i.healthy ? "healthy" : "unhealthy"}</span> },
    { header: "Connections", class: "sb-num", cell: (i) => formatCount(i.connections) },
    { header: "Host", class: "sb-hide-sm", cell: (i) => i.host },
    { header: "PID", class: "sb-hide-sm", cell: (i) => i.pid },
    { header: "Started", cell: (i) => formatAgo(i.startedAt, now) },
    { header: "Last seen", class: "sb-hide-sm", cell: (i) => formatAgo(i.lastSeen, now) },
  ];
}

/** The two live charts: each line is a series of the store (`live.series[key]`) in a theme colour. */
const CHARTS: Array<{ caption: string; label: string; lines: Array<ChartSeries & { key: Exclude<keyof Series, "t"> }> }> = [
  {
    caption: "Connections",
    label: "Connections over the last minutes",
    lines: [
      { key: "connections", label: "connections", colorVar: "--sb-chart-1" },
      { key: "authenticated", label: "authenticated", colorVar: "--sb-chart-2" },
    ],
  },
  {
    caption: "Messages per second",
    label: "Messages per second over the last minutes",
    lines: [
      { key: "messagesIn", label: "in", colorVar: "--sb-chart-3" },
      { key: "messagesOut", label: "out", colorVar: "--sb-chart-4" },
    ],
  },
];

function ChartCard({ caption, ...chart }: { caption: string } & TimeChartProps) {
  return (
    <figure class="sb-card">
      <figcaption>{caption}</figcaption>
      <TimeChart {...chart} />
    </figure>
  );
}

export function OverviewView() {
  const { store, api, theme } = useSession();
  const live = useLiveSelect(store, (s) => ({ stats: s.stats, series: s.series, generation: s.generation, snapshot: s.instances }));
  const now = useNow(5000);
  const instances = useRequest(() => api.instances(), [live.generation, now]);
  const st = live.stats;
  const items = instances.data?.items ?? live.snapshot;
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
        {CHARTS.map(({ lines, ...chart }) => (
          <ChartCard key={chart.caption} {...chart} theme={theme} series={lines} data={[live.series.t, ...lines.map((l) => live.series[l.key])]} />
        ))}
      </div>
      <h3>Instances</h3>
      {instances.error && <p class="sb-alert sb-alert-error">{instances.error.message}</p>}
      <DataTable columns={instanceColumns(now)} rows={items} rowKey={(i) => i.id} loading={instances.loading} empty="No instance has reported yet." />
      <WebhooksPanel />
    </section>
  );
}
