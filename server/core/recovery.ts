/**
 * @module server/core/recovery
 * Recovery after a reconnect (SPEC §4): `authenticate.data.recover = {rooms: {<room>: <last seq>}}`.
 * The rooms are joined again under the same room policy as `join`. For history rooms the missed
 * messages are replayed in order before any live message: while the history is fetched the
 * client is a direct member of the room and its live frames are held; after the replay the held
 * frames newer than the replay are flushed and the client moves to the room's topic — all in one
 * synchronous step, so nothing is lost or doubled. `connected.data.recovered` says per room
 * whether nothing was lost.
 */
import type { Hub } from "./hub.ts";
import type { HistorySlice } from "./history.ts";
import { allowedRooms } from "./message-flow.ts";
import { partitionRoomNames } from "./room-policy.ts";
import type { Session } from "./session.ts";

export interface Recovery {
  /** Per requested room: whether nothing was lost. */
  recovered: Record<string, boolean>;
  /** History rooms being replayed, with what was fetched. */
  slices: Map<string, HistorySlice>;
  /** Rooms to join plainly (allowed, but without history). */
  plain: string[];
}

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
export async function beginRecovery(hub: Hub, session: Session, positions: Map<string, number>): Promise<Recovery> {
  const { valid } = partitionRoomNames([...positions.keys()], (name) => name !== session.id && hub.registry.has(name));
  const allowed = new Set(await allowedRooms(hub, session, valid));
  const recovery: Recovery = { recovered: {}, slices: new Map(), plain: [] };
  const fetches: Array<Promise<void>> = [];
  for (const room of positions.keys()) {
    recovery.recovered[room] = false;
    if (!allowed.has(room)) continue;
    if (!hub.history || !hub.isHistoryRoom(room)) {
      recovery.plain.push(room);
      continue;
    }
    hub.registry.join(session.id, room);
    hub.registry.markDirect(session.id, room);
    (session.recovering ??= new Map()).set(room, []);
    fetches.push(
      hub.history.since(room, positions.get(room)!).then(
        (slice) => void recovery.slices.set(room, slice),
        (err) => hub.log.warn({ clientId: session.id, room, err: String(err) }, "history fetch failed; recovery incomplete"),
      ),
    );
  }
  await Promise.all(fetches);
  for (const [room, slice] of recovery.slices) recovery.recovered[room] = slice.complete;
  return recovery;
}

/** After `connected`: replay, flush what was held meanwhile (newer than the replay), go live. */
export function finishRecovery(hub: Hub, session: Session, recovery: Recovery): void {
  for (const room of recovery.plain) hub.joinRoom(session, room);
  for (const [room, held] of session.recovering ?? []) {
    const slice = recovery.slices.get(room);
    let last = 0;
    for (const frame of slice?.frames ?? []) {
      session.sendFrame(frame);
      last = frame.seq ?? last;
    }
    for (const frame of held) if ((frame.seq ?? Infinity) > last) session.sendFrame(frame);
    hub.goLive(session, room);
  }
  session.recovering = undefined;
}
