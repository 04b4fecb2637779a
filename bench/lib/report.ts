/**
 * @module bench/lib/report
 * What a scenario hands back and how the run shows it: one table per scenario (plain text on
 * the terminal, Markdown in `bench/results/latest.md`), the target checks, and free-form notes.
 */

export interface Table {
  columns: string[];
  rows: string[][];
}

/** A SPEC §10 / issue 8 target: what was measured against what was required. */
export interface Check {
  target: string;
  measured: string;
  /** null when the scenario could not measure it (skipped). */
  pass: boolean | null;
}

export interface ScenarioResult {
  id: string;
  title: string;
  table: Table;
  checks: Check[];
  notes: string[];
  /** Everything measured, for the JSON file. */
  data: unknown;
  seconds?: number;
  skipped?: string;
}

export function skippedResult(id: string, title: string, reason: string, targets: string[] = []): ScenarioResult {
  return {
    id,
    title,
    table: { columns: [], rows: [] },
    checks: targets.map((target) => ({ target, measured: "skipped", pass: null })),
    notes: [],
    data: { skipped: reason },
    skipped: reason,
  };
}

export function verdict(pass: boolean | null): string {
  return pass === null ? "SKIP" : pass ? "PASS" : "FAIL";
}

export function plainTable(t: Table): string {
  if (t.columns.length === 0) return "";
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(t.columns), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join("\n");
}

export function markdownTable(t: Table): string {
  if (t.columns.length === 0) return "";
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  return [
    `| ${t.columns.map(esc).join(" | ")} |`,
    `|${t.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

export function checksTable(results: ScenarioResult[]): Table {
  return {
    columns: ["Target", "Measured", "Result"],
    rows: results.flatMap((r) => r.checks.map((c) => [c.target, c.measured, verdict(c.pass)])),
  };
}

export function printScenario(r: ScenarioResult): void {
  const took = r.seconds === undefined ? "" : ` (${r.seconds.toFixed(0)} s)`;
  console.log(`\n== ${r.title}${took}`);
  if (r.skipped) console.log(`SKIPPED: ${r.skipped}`);
  const table = plainTable(r.table);
  if (table) console.log(table);
  for (const note of r.notes) console.log(`  · ${note}`);
}

export function markdownReport(header: string[], results: ScenarioResult[]): string {
  const parts = [...header, ""];
  for (const r of results) {
    parts.push(`### ${r.title}`, "");
    if (r.skipped) parts.push(`Skipped: ${r.skipped}`, "");
    const table = markdownTable(r.table);
    if (table) parts.push(table, "");
    for (const note of r.notes) parts.push(`- ${note}`);
    if (r.notes.length) parts.push("");
  }
  parts.push("### Targets", "", markdownTable(checksTable(results)), "");
  return parts.join("\n");
}
