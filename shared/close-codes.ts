/**
 * @module shared/close-codes
 * The one table of close codes and error strings. Server, client SDK and dashboard import it;
 * no code elsewhere writes a close code or an error string as a literal (an application may
 * still pass its own reason to the SDK's `close(reason)`).
 *
 * Ranges: 1000–1015 are WebSocket standard codes; 4001–4004 keep their Ignis meaning;
 * 4005–4009 are Switchboard additions. `reconnect` tells a client whether retrying with the same
 * credentials can succeed: the SDK never retries blindly after a `false`.
 */

export interface CloseCodeInfo {
  readonly code: number;
  readonly reason: string;
  /** Whether a client should reconnect (with backoff) after this close. */
  readonly reconnect: boolean;
}

export const CloseCodes = Object.freeze({
  /** A client (SDK, dashboard) closing on purpose: nothing to retry. */
  CLIENT_CLOSED: { code: 1000, reason: "Client closed", reconnect: false },
  SHUTDOWN: { code: 1001, reason: "Server shutting down", reconnect: true },
  /**
   * The server could not take the socket for a reason of its own (a connection id that is
   * already in use: ids are random UUIDs, so this is a fault, not a client error).
   */
  INTERNAL_ERROR: { code: 1011, reason: "Internal error", reconnect: true },
  MESSAGE_TOO_BIG: { code: 1009, reason: "Message too big", reconnect: true },
  AUTH_TIMEOUT: { code: 4001, reason: "Authentication timeout", reconnect: true },
  HEARTBEAT_TIMEOUT: { code: 4002, reason: "Heartbeat timeout", reconnect: true },
  AUTH_FAILED: { code: 4003, reason: "Authentication failed", reconnect: false },
  ENCRYPTION_REQUIRED: { code: 4004, reason: "Encryption required", reconnect: false },
  RATE_LIMITED: { code: 4005, reason: "Rate limit exceeded", reconnect: true },
  SLOW_CONSUMER: { code: 4006, reason: "Slow consumer", reconnect: true },
  KICKED: { code: 4007, reason: "Disconnected by server", reconnect: true },
  TOO_MANY_CONNECTIONS: { code: 4008, reason: "Too many connections", reconnect: false },
  TOKEN_EXPIRED: { code: 4009, reason: "Token expired", reconnect: true },
} satisfies Record<string, CloseCodeInfo>);

export type CloseCodeName = keyof typeof CloseCodes;

const byCode = new Map<number, CloseCodeInfo>(Object.values(CloseCodes).map((c) => [c.code, c]));

/** Looks a code up; unknown codes (1000, 1006, …) count as "reconnect" except a normal 1000. */
export function describeCloseCode(code: number): CloseCodeInfo {
  return byCode.get(code) ?? { code, reason: "", reconnect: code !== 1000 };
}

/** Exact `error.data.message` strings (ignis §3.2 plus Switchboard additions). */
export const ErrorMessages = Object.freeze({
  INVALID_FORMAT: "Invalid message format",
  NOT_AUTHENTICATED: "Not authenticated",
  ALREADY_AUTHENTICATED: "Already authenticated",
  AUTH_FAILED: "Authentication failed",
  AUTH_ERROR: "Authentication error",
  HANDSHAKE_FAILED: "Encryption handshake failed",
  INVALID_ROOMS: "Invalid rooms",
  RATE_LIMITED: "Rate limit exceeded",
  TOO_MANY_CONNECTIONS: "Too many connections",
  DECRYPT_FAILED: "Decryption failed",
});

/** Machine-readable codes carried in `ack.data.error.code`. */
export const AckErrorCodes = Object.freeze({
  INVALID_FORMAT: "invalid_format",
  INVALID_ROOMS: "invalid_rooms",
  NOT_AUTHENTICATED: "not_authenticated",
  ALREADY_AUTHENTICATED: "already_authenticated",
  NO_HANDLER: "no_handler",
  HANDLER_ERROR: "handler_error",
  REFRESH_REJECTED: "refresh_rejected",
  RATE_LIMITED: "rate_limited",
  /** `presence` for a room the client is not in. */
  NOT_MEMBER: "not_member",
  /** `presence` for a room that does not match PRESENCE_ROOMS. */
  NOT_PRESENCE_ROOM: "not_presence_room",
});
