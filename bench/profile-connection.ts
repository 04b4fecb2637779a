/**
 * @module bench/profile-connection
 * `bun bench/profile-connection.ts [N]`: what one idle authenticated connection costs in the
 * Switchboard bench server, by object type. Connects N clients (default 2,000; distinct users,
 * default rooms), and prints the per-connection difference of the live heap's object type
 * counts (`bun:jsc` heapStats after a full GC), the live heap and RSS per connection. Type
 * counts are exact, so unlike the memory scenario's RSS they do not depend on machine noise.
 */
import { createContext } from "./lib/context.ts";
import { startLoaded } from "./lib/context.ts";
import { stopAllFleets } from "./lib/fleet.ts";
import { killAllProcesses, rssBytes } from "./lib/proc.ts";
import { collectGarbage, SECRET, type HeapReading } from "./lib/systems.ts";

const count = Number(process.argv[2] ?? 2000);
const ctx = createContext(true, "/tmp", 20000);
const l = await startLoaded(ctx, "switchboard", { count: 0, workers: Math.ceil(count / 2500) });
const connect = (n: number) => l.fleet.connect({ host: "127.0.0.1", port: l.system.server.port, protocol: l.system.protocol, count: n, concurrency: 64, secret: SECRET, timeoutMs: 60_000 });

async function reading(): Promise<HeapReading & { rss: number }> {
  await collectGarbage(l.system);
  await Bun.sleep(300);
  return { ...(await collectGarbage(l.system)), rss: rssBytes(l.system.server.pid) };
}

try {
  await connect(200);
  await l.fleet.closeAll();
  const before = await reading();
  const r = await connect(count);
  if (r.failed) throw new Error(`${r.failed} connections failed`);
  const after = await reading();
  const names = new Set([...Object.keys(before.types ?? {}), ...Object.keys(after.types ?? {})]);
  const rows = [...names]
    .map((t) => [t, ((after.types?.[t] ?? 0) - (before.types?.[t] ?? 0)) / count] as const)
    .filter(([, d]) => Math.abs(d) >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  console.log(`${count} connections: RSS ${((after.rss - before.rss) / count / 1024).toFixed(2)} KiB/conn, live heap ${(((after.heapSize ?? 0) - (before.heapSize ?? 0)) / count / 1024).toFixed(2)} KiB/conn, objects ${(((after.objectCount ?? 0) - (before.objectCount ?? 0)) / count).toFixed(1)}/conn`);
  for (const [t, d] of rows) console.log(`  ${d.toFixed(2).padStart(6)}  ${t}`);
} finally {
  await l.stop();
  stopAllFleets();
  killAllProcesses();
}
