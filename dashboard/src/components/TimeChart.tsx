/**
 * @module dashboard/components/TimeChart
 * A live line chart (uPlot, bundled: no external requests). The plot is created once per theme
 * and fed with `setData` on each update, which redraws one canvas rather than re-rendering DOM;
 * it follows its container's width.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { ThemeName } from "../theme.ts";

export interface ChartSeries {
  label: string;
  /** A CSS custom property of the theme, e.g. `--sb-chart-1`. */
  colorVar: string;
}

export interface TimeChartProps {
  label: string;
  series: ChartSeries[];
  /** x (seconds since the epoch) first, then one array per series, all the same length. */
  data: number[][];
  theme: ThemeName;
  height?: number;
}

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** HH:MM:SS of a uPlot x value (seconds). */
function clock(seconds: number): string {
  return new Date(seconds * 1000).toLocaleTimeString("en-GB", { hour12: false });
}

function chartOptions(el: HTMLElement, series: ChartSeries[], height: number): uPlot.Options {
  const axisColor = cssVar(el, "--sb-muted", "#666");
  const gridColor = cssVar(el, "--sb-grid", "#ddd");
  const axis: uPlot.Axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
  return {
    width: Math.max(200, el.clientWidth),
    height,
    cursor: { drag: { x: false, y: false } },
    legend: { live: false },
    // Room on the right for the last time label, which uPlot centres on its tick.
    padding: [12, 28, 0, 0],
    // At least a minute on the x axis, so the first samples don't stretch across the chart.
    scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] }, y: { range: (_u, min, max) => [0, Math.max(1, max * 1.1, min)] } },
    axes: [{ ...axis, values: (_u, ticks) => ticks.map(clock) }, { ...axis, size: 56 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: cssVar(el, s.colorVar, "#36c"), width: 2, points: { show: false } }))],
  };
}

export function TimeChart({ label, series, data, theme, height = 180 }: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const chart = new uPlot(chartOptions(el, series, height), latest.current as uPlot.AlignedData, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [theme, height]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return <div class="sb-chart" ref={host} role="img" aria-label={label} />;
}
