/**
 * deploy/grafana-dashboard.json: every metric named in its PromQL (panel targets and template
 * variables) is exported by GET /metrics of a real server (histogram and summary series count
 * with their _bucket/_sum/_count suffixes).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/instances.ts";
import { ADMIN_TOKEN, startServer, type TestServer } from "../helpers/server.ts";

const DASHBOARD = JSON.parse(readFileSync(join(ROOT, "deploy", "grafana-dashboard.json"), "utf8"));

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless", "inf", "nan"]);

/** Metric names in a PromQL expression: identifiers outside label matchers, ranges and strings that are not functions, keywords or grouping labels. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\$\w+/g, "");
  const tokens = [...bare.matchAll(/(?<![\w:.])([A-Za-z_:][\w:]*)\s*(\()?/g)];
  // A name followed by "(" is a function; one that starts after a digit (5m) is no token at all.
  const names = tokens.filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase())).map((m) => m[1]!);
  return [...new Set(names)];
}

function expressions(dashboard: any): string[] {
  const fromPanels = (dashboard.panels as any[]).flatMap((p) => (p.targets ?? []).map((t: any) => t.expr as string));
  const fromVars = (dashboard.templating?.list ?? []).map((v: any) => (typeof v.query === "string" ? v.query : v.query?.query) as string);
  return [...fromPanels, ...fromVars.map((q: string) => q.replace(/^label_values\(([^,)]+).*$/, "$1"))];
}

/** Series names in the Prometheus text format, with the suffixes histograms and summaries expose. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name! + s);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(name! + s);
  }
  return names;
}

describe("deploy/grafana-dashboard.json", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(() => s.stop());

  test("the metric-name parser finds metrics and skips functions, labels and keywords", () => {
    expect(metricNames('sum by (state) (rate(a_total{x="b(c)"}[5m])) / ignoring(y) b_seconds offset 5m')).toEqual(["a_total", "b_seconds"]);
    expect(metricNames("histogram_quantile(0.99, sum by (le) (rate(lat_bucket[$__rate_interval])))")).toEqual(["lat_bucket"]);
  });

  test("every metric named in its queries is exported by GET /metrics", async () => {
    const res = await fetch(`${s.http}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const have = exported(await res.text());
    const named = [...new Set(expressions(DASHBOARD).flatMap(metricNames))];
    expect(named.length).toBeGreaterThanOrEqual(10);
    expect(named.filter((n) => !have.has(n))).toEqual([]);
  });

  test("it is an importable dashboard: a Prometheus datasource input, and every panel has a query", () => {
    expect(DASHBOARD.__inputs[0].pluginId).toBe("prometheus");
    expect(DASHBOARD.uid).toBe("switchboard");
    for (const panel of DASHBOARD.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    expect(new Set(DASHBOARD.panels.map((p: any) => p.id)).size).toBe(DASHBOARD.panels.length);
  });
});
