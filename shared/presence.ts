/**
 * @module shared/presence
 * Presence rooms on the wire (SPEC §12), shared by the server, the client SDK and the dashboard.
 */

export const PresenceEvents = Object.freeze({
  /** Client → server request (with an `id`): the roster of a room the client is in. */
  REQUEST: "presence",
  JOIN: "presence:join",
  LEAVE: "presence:leave",
  OVERFLOW: "presence:overflow",
} as const);

/** `data` of `presence:join` and `presence:leave`. `userId` is absent for an anonymous member. */
export interface PresenceEventData {
  room: string;
  userId?: string;
  clientId: string;
  info?: Record<string, unknown>;
}

export interface PresenceOverflowData {
  room: string;
  total: number;
  max: number;
}

export interface PresenceMemberInfo {
  userId?: string;
  clientIds: string[];
  info?: Record<string, unknown>;
}

/** The `result` of the `presence` request's ack. */
export interface PresenceRoster {
  room: string;
  members: PresenceMemberInfo[];
  total: number;
}

/** The token's `info` claim is kept only when it is a JSON object of at most this many bytes. */
export const PRESENCE_INFO_MAX_BYTES = 1024;
