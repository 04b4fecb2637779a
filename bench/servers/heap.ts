/**
 * @module bench/servers/heap
 * `POST /bench/gc` for the Bun servers: a full collection, then the process RSS and the live
 * JavaScript heap with its most numerous object types (to explain a memory figure, not only
 * state it).
 */
import { heapStats } from "bun:jsc";

export function collect(): { rss: number; heapSize: number; objectCount: number; types: Record<string, number> } {
  Bun.gc(true);
  const stats = heapStats();
  const types = Object.fromEntries(Object.entries(stats.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 40));
  return { rss: process.memoryUsage.rss(), heapSize: stats.heapSize, objectCount: stats.objectCount, types };
}
