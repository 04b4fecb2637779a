/**
 * @module server/core/recovery
 * Recovery after a reconnect (SPEC §4): `authenticate.data.recover = {rooms: {<room>: <last seq>}}`.
 * The rooms are joined again under the same room policy as `join`. For history rooms the missed
 * messages are replayed in order before any live message: while the history is fetched the
 * client is held in the room (membership.ts); after `connected` the replay is sent and the hold
 * released. `connected.data.recovered` says per room whether nothing was lost.
 */
import type { FlowContext, Recovery } from "./flow-context.ts";
import { allowedRooms } from "./message-flow.ts";
import type { Session } from "./session.ts";

const MAX_RECOVER_ROOMS = 100;

/** The `recover.rooms` positions when well-formed (room → non-negative integer seq). */
export function requestedPositions(data: Record<string, unknown>): Map<string, number> | undefined {
  const rooms = (data.recover as { rooms?: unknown } | undefined)?.rooms;
  if (typeof rooms !== "object" || rooms === null || Array.isArray(rooms)) return undefined;
  const out = new Map<string, number>();
  for (const [room, seq] of Object.entries(rooms).slice(0, MAX_RECOVER_ROOMS)) {
    if (typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0) out.set(room, seq);
  }
  return out.size > 0 ? out : undefined;
}

/** Joins the allowed rooms in "held" mode and fetches their history; nothing is sent yet. */
export async function beginRecovery(ctx: FlowContext, session: Session, positions: Map<string, number>): Promise<Recovery> {
  const { valid } = ctx.membership.joinable([...positions.keys()], session.id);
  const allowed = new Set(await allowedRooms(ctx, session, valid));
  const recovery: Recovery = { recovered: {}, slices: new Map(), plain: [] };
  const fetches: Array<Promise<void>> = [];
  for (const room of positions.keys()) {
    recovery.recovered[room] = false;
    if (!allowed.has(room)) continue;
    if (!ctx.history || !ctx.isHistoryRoom(room)) {
      recovery.plain.push(room);
      continue;
    }
    ctx.membership.hold(session, room);
    fetches.push(
      ctx.history.since(room, positions.get(room)!).then(
        (slice) => void recovery.slices.set(room, slice),
        (err) => ctx.log.warn({ clientId: session.id, room, err: String(err) }, "history fetch failed; recovery incomplete"),
      ),
    );
  }
  await Promise.all(fetches);
  for (const [room, slice] of recovery.slices) recovery.recovered[room] = slice.complete;
  return recovery;
}

/** After `connected`: the plain rooms, then each held room's replay and release. */
export function finishRecovery(ctx: FlowContext, session: Session, recovery: Recovery): void {
  for (const room of recovery.plain) ctx.membership.join(session, room);
  for (const room of [...(session.recovering?.keys() ?? [])]) ctx.membership.release(session, room, recovery.slices.get(room)?.frames);
}
