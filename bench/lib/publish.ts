/**
 * @module bench/lib/publish
 * The publisher: sends emits to a server's HTTP emit endpoint, either "as fast as the server
 * accepts" (a fixed number of requests in flight; the next goes out when one is answered) or
 * paced (one at a time at a fixed interval, each stamped with its send time, for latency).
 * Every server under test gets the same body `{to:{room}, event, data}`.
 */
import { now } from "./messages.ts";

export interface EmitEndpoint {
  url: string;
  headers: Record<string, string>;
}

export interface PublishResult {
  sent: number;
  failed: number;
  startedAt: number;
  endedAt: number;
  firstError?: string;
}

/** Filler that makes each delivered frame about 100 bytes. */
const PAD = "x".repeat(48);

async function emitOnce(ep: EmitEndpoint, room: string, event: string, data: unknown): Promise<string | undefined> {
  try {
    const res = await fetch(ep.url, { method: "POST", headers: ep.headers, body: JSON.stringify({ to: { room }, event, data }) });
    const text = await res.text();
    return res.ok ? undefined : `${res.status} ${text.slice(0, 200)}`;
  } catch (err) {
    return String(err);
  }
}

/** `count` emits with `concurrency` requests in flight. */
export async function publishBurst(ep: EmitEndpoint, room: string, event: string, count: number, concurrency: number): Promise<PublishResult> {
  const result: PublishResult = { sent: 0, failed: 0, startedAt: now(), endedAt: 0 };
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const n = next++;
      const error = await emitOnce(ep, room, event, { n, pad: PAD });
      if (error === undefined) result.sent += 1;
      else {
        result.failed += 1;
        result.firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  result.endedAt = now();
  return result;
}

/** `count` emits, one every `intervalMs`, each carrying its send time as `data.t`. */
export async function publishPaced(ep: EmitEndpoint, room: string, event: string, count: number, intervalMs: number): Promise<PublishResult> {
  const result: PublishResult = { sent: 0, failed: 0, startedAt: now(), endedAt: 0 };
  for (let n = 0; n < count; n++) {
    const due = result.startedAt + n * intervalMs;
    const wait = due - now();
    if (wait > 0) await Bun.sleep(wait);
    const error = await emitOnce(ep, room, event, { t: now(), n, pad: PAD });
    if (error === undefined) result.sent += 1;
    else {
      result.failed += 1;
      result.firstError ??= error;
    }
  }
  result.endedAt = now();
  return result;
}

/**
 * Emits at a steady `perSecond` for `ms`: every 10 ms the emits due by then go out without
 * waiting for earlier answers (at most `maxInFlight` outstanding; an emit that would exceed it
 * is counted as failed, so a server that falls behind shows up instead of slowing the load).
 */
export async function publishAtRate(ep: EmitEndpoint, room: string, event: string, perSecond: number, ms: number, maxInFlight = 256): Promise<PublishResult> {
  const result: PublishResult = { sent: 0, failed: 0, startedAt: now(), endedAt: 0 };
  const pending = new Set<Promise<void>>();
  let due = 0;
  let n = 0;
  while (now() - result.startedAt < ms) {
    due = Math.floor(((now() - result.startedAt) / 1000) * perSecond);
    for (; n < due; n++) {
      if (pending.size >= maxInFlight) {
        result.failed += 1;
        result.firstError ??= `more than ${maxInFlight} emits in flight`;
        continue;
      }
      const p: Promise<void> = emitOnce(ep, room, event, { n, pad: PAD }).then((error) => {
        pending.delete(p);
        if (error === undefined) result.sent += 1;
        else {
          result.failed += 1;
          result.firstError ??= error;
        }
      });
      pending.add(p);
    }
    await Bun.sleep(10);
  }
  await Promise.all(pending);
  result.endedAt = now();
  return result;
}
