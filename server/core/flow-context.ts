/**
 * @module server/core/flow-context
 * What the protocol flows (auth-flow, message-flow, recovery) may use of the hub: options,
 * hooks, membership, the history store, admission. They depend on this interface only, never
 * on the hub itself, so the hub can import them without a cycle.
 */
import type { HistorySlice, HistoryStore } from "./history.ts";
import type { Membership } from "./membership.ts";
import type { Session } from "./session.ts";
import type { RequestHandler, AuthResult, CodecFactory, CoreOptions, HandshakeResult, Hooks, Logger } from "./types.ts";

/** A recovery in progress (recovery.ts): fetched at authentication, finished at admission. */
export interface Recovery {
  /** Per requested room: whether nothing was lost. */
  recovered: Record<string, boolean>;
  /** History rooms being replayed, with what was fetched. */
  slices: Map<string, HistorySlice>;
  /** Rooms to join plainly (allowed, but without history). */
  plain: string[];
}

export interface FlowContext {
  readonly options: CoreOptions;
  readonly hooks: Hooks;
  readonly log: Logger;
  readonly codecFactory?: CodecFactory;
  /** Set only when HISTORY_ROOMS names rooms that keep history. */
  readonly history?: HistoryStore;
  readonly membership: Membership;
  /** Built-in request events served by server modules (e.g. `presence`), answered before `onMessage`. */
  readonly requests: ReadonlyMap<string, RequestHandler>;
  /** Whether `room` keeps history (matches HISTORY_ROOMS). */
  isHistoryRoom(room: string): boolean;
  /** False when the user already has `maxConnectionsPerUser` sessions here. */
  hasRoomForUser(userId: string | undefined): boolean;
  countAuthFailure(reason: string): void;
  /** The session moves to `authenticating` (the first step of the auth flow). */
  beginAuthentication(session: Session): void;
  /** Makes an authenticated session visible (synchronous; see Hub.admit). */
  admit(session: Session, result: AuthResult, handshake: HandshakeResult | undefined, recovery?: Recovery): void;
  /** (Re-)arms the token expiry. */
  armExpiry(session: Session, expiresAt: number | undefined): void;
}
