/**
 * @module bench/servers/common
 * What every bench server shares (Bun and Node alike, so no Bun APIs here): the control body
 * shape, the ready line, and forced garbage collection before memory readings.
 *
 * Control surface of every bench server, next to its own WebSocket endpoint:
 * - `POST /bench/emit` `{to:{room}, event, data}` → one emit through the server's own API
 *   (Switchboard's real REST API, `POST /api/emit`, is measured beside it);
 * - `GET /bench/room?name=<room>` → `{size}` members of a room, to confirm joins;
 * - `POST /bench/gc` → collects garbage, answers `{rss}`.
 */

export interface EmitBody {
  to: { room: string };
  event: string;
  data?: unknown;
}

export function parseEmit(text: string): EmitBody | undefined {
  try {
    const body = JSON.parse(text) as EmitBody;
    return typeof body?.to?.room === "string" && typeof body.event === "string" ? body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Announces readiness to the orchestrator (see `bench/lib/proc.ts`), and from then on exits
 * when the orchestrator is gone (killed without cleanup), so no server outlives a run.
 */
export function announceReady(facts: Record<string, unknown>): void {
  process.stdout.write(`BENCH_READY ${JSON.stringify({ pid: process.pid, ...facts })}\n`);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
}

/** The envelope of ignis §6 / SPEC §4 for a room message, as the bare relay publishes it. */
export function roomEnvelope(serverId: string, room: string, event: string, data: unknown): string {
  return JSON.stringify({ serverId, type: "room", target: room, event, data });
}

/** Settings a bench server reads from its environment. */
export function benchEnv(env: Record<string, string | undefined>) {
  return {
    port: Number(env.BENCH_PORT ?? 0),
    secret: env.BENCH_SECRET ?? "bench-secret-bench-secret",
    redisUrl: env.REDIS_URL,
  };
}
