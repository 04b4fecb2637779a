/**
 * @module shared/client/history
 * Automatic history recovery for the SDK (a client plugin, on by default). It tracks, per
 * history room, the highest seq up to which every message was received (`last`) plus any newer
 * ones that arrived early (messages from different instances can cross), drops duplicates, and
 * on every reconnect sends `recover: {rooms: {<room>: last}}` so the server replays exactly what
 * was missed before live messages.
 *
 * Positions start at the seq a `join` ack reports (the position the room was joined at), or at
 * the first message seen. When the server answers `recovered: false` for a room (the gap fell
 * out of the history, or the store lost its data and started numbering again), the room's
 * position is forgotten and restarts at the next message.
 */
import type { ConnectedData, JoinResult } from "../protocol.ts";
import type { ClientPlugin, ServerFrame } from "./types.ts";

interface Position {
  /** Every seq up to this one was received. */
  last: number;
  /** Received seqs above `last` (out of order). */
  ahead: Set<number>;
}

/** Beyond this many out-of-order seqs, the oldest gap is given up on (bounded memory). */
const MAX_AHEAD = 10_000;

export interface HistoryRecovery extends ClientPlugin {
  /** Current positions (room → last contiguous seq), as sent in `recover`. */
  positions(): Record<string, number>;
}

export function historyRecovery(): HistoryRecovery {
  const rooms = new Map<string, Position>();

  const accept = (room: string, seq: number): boolean => {
    const p = rooms.get(room);
    if (!p) {
      rooms.set(room, { last: seq, ahead: new Set() });
      return true;
    }
    if (seq <= p.last || p.ahead.has(seq)) return false;
    if (seq === p.last + 1) {
      p.last = seq;
      while (p.ahead.delete(p.last + 1)) p.last += 1;
    } else {
      p.ahead.add(seq);
      if (p.ahead.size > MAX_AHEAD) {
        p.last = Math.min(...p.ahead);
        p.ahead.delete(p.last);
        while (p.ahead.delete(p.last + 1)) p.last += 1;
      }
    }
    return true;
  };

  return {
    positions: () => Object.fromEntries([...rooms].map(([room, p]) => [room, p.last])),
    authenticate: () => (rooms.size > 0 ? { recover: { rooms: Object.fromEntries([...rooms].map(([room, p]) => [room, p.last])) } } : undefined),
    connected(data: ConnectedData) {
      for (const [room, complete] of Object.entries(data.recovered ?? {})) if (!complete) rooms.delete(room);
    },
    joined(result: JoinResult) {
      for (const [room, seq] of Object.entries(result.seq ?? {})) if (!rooms.has(room)) rooms.set(room, { last: seq, ahead: new Set() });
    },
    left(left: string[]) {
      for (const room of left) rooms.delete(room);
    },
    frame(frame: ServerFrame) {
      if (typeof frame.room !== "string" || typeof frame.seq !== "number") return true;
      return accept(frame.room, frame.seq);
    },
  };
}
