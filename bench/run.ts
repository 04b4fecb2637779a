/**
 * @module bench/run
 * `npm run bench [-- --quick] [-- --scenario fanout,memory]`: runs the SPEC §10 scenarios on this
 * machine, each against baselines measured in the same run, prints one table per scenario and
 * the target checks, and writes `bench/results/<date>-<name>.json` (machine-readable, committed
 * with every published run: `2026-12-04-full.json`, `2026-12-04-quick-fanout.json`) and
 * `bench/results/latest.md` (the published figures).
 *
 * All load comes from separate processes on loopback (`bench/worker.ts`); servers under test
 * are separate processes too. Exit code: 0 when it ran (targets may fail: that is a finding,
 * reported in the table), 1 when a scenario could not run, 2 on bad arguments.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNodeServer } from "./lib/build.ts";
import { createContext, type BenchContext } from "./lib/context.ts";
import { stopAllFleets } from "./lib/fleet.ts";
import { machineFacts, machineLines } from "./lib/machine.ts";
import { effectiveFdLimit, killAllProcesses } from "./lib/proc.ts";
import { checksTable, markdownReport, plainTable, printScenario, type ScenarioResult } from "./lib/report.ts";
import { crossInstance } from "./scenarios/cross.ts";
import { dashboard } from "./scenarios/dashboard.ts";
import { fanout } from "./scenarios/fanout.ts";
import { memory } from "./scenarios/memory.ts";
import { scale } from "./scenarios/scale.ts";
import { connectionStorm } from "./scenarios/storm.ts";
import { sse } from "./scenarios/sse.ts";

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<ScenarioResult>> = { fanout, cross: crossInstance, storm: connectionStorm, memory, scale, sse, presence, dashboard };
import { presence } from "./scenarios/presence.ts";
const RESULTS = join(import.meta.dir, "results");

const USAGE = `usage: npm run bench [-- --quick] [-- --scenario ${Object.keys(SCENARIOS).join(",")}]
  --quick              fewer rounds and smaller steps (about 2 minutes; dashboard: 1,000 clients, 100 emits/s)
  --scenario a,b       only these scenarios (default: all)
  --no-write           do not write bench/results/`;

interface Args {
  quick: boolean;
  scenarios: string[];
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, scenarios: Object.keys(SCENARIOS), write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") args.quick = true;
    else if (a === "--no-write") args.write = false;
    else if (a === "--scenario" || a.startsWith("--scenario=")) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      args.scenarios = (value ?? "").split(",").filter(Boolean);
    } else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`bench: unknown argument "${a}"\n${USAGE}`);
      process.exit(2);
    }
  }
  const unknown = args.scenarios.filter((s) => !SCENARIOS[s]);
  if (unknown.length || args.scenarios.length === 0) {
    console.error(`bench: unknown scenario "${unknown.join(",")}"\n${USAGE}`);
    process.exit(2);
  }
  return args;
}

async function runScenario(id: string, ctx: BenchContext): Promise<ScenarioResult> {
  const started = performance.now();
  try {
    const result = await SCENARIOS[id]!(ctx);
    result.seconds = (performance.now() - started) / 1000;
    return result;
  } catch (err) {
    const message = (err as Error)?.stack ?? String(err);
    console.error(`\nbench: scenario ${id} failed: ${message}`);
    return { id, title: `${id} (failed)`, table: { columns: [], rows: [] }, checks: [], notes: [], data: { error: message }, skipped: `failed: ${(err as Error).message}` };
  }
}

/** "full", "quick", or the mode and the scenarios of a partial run: "quick-fanout", "storm-memory". */
function runName(args: Args): string {
  const all = args.scenarios.length === Object.keys(SCENARIOS).length;
  const mode = args.quick ? "quick" : "full";
  if (all) return mode;
  return `${args.quick ? "quick-" : ""}${args.scenarios.join("-")}`;
}

function writeResults(args: Args, facts: Record<string, unknown>, results: ScenarioResult[]): void {
  mkdirSync(RESULTS, { recursive: true });
  const json = join(RESULTS, `${new Date().toISOString().slice(0, 10)}-${runName(args)}.json`);
  const at = new Date().toISOString();
  writeFileSync(json, JSON.stringify({ at, machine: facts, mode: args.quick ? "quick" : "full", scenarios: results }, null, 2));
  const header = [`## Benchmark results (${args.quick ? "quick" : "full"} run, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC)`, "", ...machineLines(facts).map((l) => `- ${l}`)];
  writeFileSync(join(RESULTS, "latest.md"), markdownReport(header, results));
  console.log(`\nwrote ${json} and ${join(RESULTS, "latest.md")}`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const began = performance.now();
  const facts = await machineFacts();
  console.log(`Switchboard benchmarks (${args.quick ? "quick" : "full"}): ${args.scenarios.join(", ")}`);
  for (const line of machineLines(facts)) console.log(`  ${line}`);
  const tmp = mkdtempSync(join(tmpdir(), "sb-bench-"));
  const needsNode = args.scenarios.some((s) => s === "fanout" || s === "cross");
  const ctx = createContext(args.quick, tmp, await effectiveFdLimit(), needsNode ? await buildNodeServer() : undefined);
  const results: ScenarioResult[] = [];
  try {
    for (const id of args.scenarios) {
      const result = await runScenario(id, ctx);
      results.push(result);
      printScenario(result);
    }
  } finally {
    await ctx.close();
    stopAllFleets();
    killAllProcesses();
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`\n== Targets\n${plainTable(checksTable(results))}`);
  console.log(`\ntotal ${((performance.now() - began) / 1000).toFixed(0)} s`);
  if (args.write) writeResults(args, facts, results);
  return results.some((r) => r.skipped?.startsWith("failed")) ? 1 : 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopAllFleets();
    killAllProcesses();
    process.exit(130);
  });
}

process.exit(await main());
