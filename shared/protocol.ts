/**
 * @module shared/protocol
 * Typed wire messages shared by the server, the client SDK and the dashboard.
 * Frames are JSON text `{event, data?, id?}` (ignis §2.1); the server never adds keys other than
 * `event` and `data`, except `seq`/`room` on messages of history rooms.
 */

/** A client→server frame after validation. */
export interface InboundFrame {
  event: string;
  data?: unknown;
  /** Correlation id: when a string, the server answers with an `ack` frame. */
  id?: string;
}

/** A server→client frame. */
export interface OutboundFrame<D = unknown> {
  event: string;
  data?: D;
  /** Position in a history room (monotonic, gap-free per room). */
  seq?: number;
  room?: string;
}

export interface ConnectedData {
  id: string;
  userId?: string;
  time: string;
  serverPublicKey?: string;
  salt?: string;
  /** Per room: whether recovery replayed everything missed (history rooms only). */
  recovered?: Record<string, boolean>;
}

export interface ErrorData {
  message: string;
}

export interface AckError {
  code: string;
  message: string;
}

export type AckData =
  | { id: string; ok: true; result?: unknown }
  | { id: string; ok: false; error: AckError };

export interface HeartbeatReply {
  id: string;
  time: number;
}

export interface JoinResult {
  joined: string[];
  denied: string[];
  /** History rooms: the position (seq) each was joined at; later messages all reach the client. */
  seq?: Record<string, number>;
}

export interface LeaveResult {
  left: string[];
}

/** `authenticate.data` as the built-in JWT authenticator reads it. */
export interface AuthenticateData {
  token?: string;
  type?: string;
  publicKey?: string;
  recover?: { rooms?: Record<string, number> };
  [key: string]: unknown;
}

/** Server → client events with known payloads. */
export interface ServerToClientEvents {
  connected: ConnectedData;
  error: ErrorData;
  ack: AckData;
  heartbeat: HeartbeatReply;
  encrypted: { iv: string; ct: string };
}

/** Client → server events with known payloads. */
export interface ClientToServerEvents {
  authenticate: AuthenticateData;
  heartbeat: undefined;
  join: { rooms: string[] };
  leave: { rooms: string[] };
  refresh: { token: string };
  encrypted: { iv: string; ct: string };
}

/**
 * The Redis envelope of ignis §6.3, shared by every instance and the emitter. Switchboard adds
 * `targets` (type `rooms`) for one message to several rooms, delivered once per socket.
 */
export interface ClusterEnvelope {
  serverId: string;
  type: "client" | "user" | "room" | "broadcast" | "rooms";
  target?: string;
  targets?: string[];
  event: string;
  data?: unknown;
  exclude?: string[];
  /** Switchboard: the message's position in a history room (type `room` only). */
  seq?: number;
}
