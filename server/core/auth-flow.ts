/**
 * @module server/core/auth-flow
 * Authentication after connect (ignis §2.5 with the fixes of SPEC §3.2):
 * `unauthorized` → `authenticating` (in-progress timer of 3 × authTimeout, covering the
 * encryption handshake too) → checks (credential, per-user cap, handshake) → admission (index,
 * subscriptions, default rooms) → plaintext `connected` → the codec is installed → hook.
 * After every `await` the session is re-checked: a client that left meanwhile changes nothing.
 */
import { AckErrorCodes, CloseCodes, ErrorMessages } from "../../shared/close-codes.ts";
import { WebSocketClientStates as States } from "../../shared/constants.ts";
import type { Hub } from "./hub.ts";
import type { Session } from "./session.ts";
import type { AuthResult, HandshakeResult } from "./types.ts";
import { beginRecovery, requestedPositions } from "./recovery.ts";

export async function authenticateSession(hub: Hub, session: Session, data: Record<string, unknown>, frameId?: string): Promise<void> {
  if (session.state !== States.UNAUTHORIZED) {
    return session.error(ErrorMessages.ALREADY_AUTHENTICATED, frameId, AckErrorCodes.ALREADY_AUTHENTICATED);
  }
  session.record.state = States.AUTHENTICATING;
  session.arm(hub.options.authTimeout * 3, () => {
    if (session.state === States.AUTHENTICATING) session.close(CloseCodes.AUTH_TIMEOUT);
  });
  let result: AuthResult | null | false | undefined;
  try {
    result = hub.hooks.authenticate ? await hub.hooks.authenticate(data) : null;
  } catch (err) {
    hub.log.warn({ clientId: session.id, err: String(err) }, "authenticate hook threw");
    return reject(hub, session, ErrorMessages.AUTH_ERROR, "error");
  }
  if (!session.isOpen) return;
  if (!result) return reject(hub, session, ErrorMessages.AUTH_FAILED, "rejected");
  // Awaited only when there is a handshake to run: most connections skip a microtask here.
  const handshake = needsHandshake(hub, data) ? await runHandshake(hub, session, data, result) : undefined;
  if (handshake === "closed" || !session.isOpen) return;
  session.grantedRooms = result.rooms;
  session.record.userId = result.userId;
  const positions = requestedPositions(data);
  const recovery = positions ? await beginRecovery(hub, session, positions) : undefined;
  if (!session.isOpen) return;
  // Checked after the last await, right before the synchronous admission, so concurrent
  // authentications of one user cannot all pass the cap.
  if (!hub.hasRoomForUser(result.userId)) {
    hub.countAuthFailure("user_cap");
    session.error(ErrorMessages.TOO_MANY_CONNECTIONS);
    return session.close(CloseCodes.TOO_MANY_CONNECTIONS);
  }
  try {
    hub.admit(session, result, handshake, recovery);
  } catch (err) {
    hub.log.error({ clientId: session.id, err: String(err) }, "admission failed");
    return reject(hub, session, ErrorMessages.AUTH_ERROR, "error");
  }
}

function offersKey(data: Record<string, unknown>): boolean {
  return data.publicKey !== undefined && data.publicKey !== null && data.publicKey !== "";
}

function needsHandshake(hub: Hub, data: Record<string, unknown>): boolean {
  const mode = hub.options.encryption;
  return mode === "required" || (mode === "optional" && offersKey(data) && hub.codecFactory !== undefined);
}

/**
 * The encryption step. `off`: none. `optional`: only for a client that sent a `publicKey`.
 * `required`: a client without a valid key is closed 4004.
 */
async function runHandshake(hub: Hub, session: Session, data: Record<string, unknown>, result: AuthResult): Promise<HandshakeResult | undefined | "closed"> {
  const mode = hub.options.encryption;
  const factory = hub.codecFactory;
  if (mode === "off") return undefined;
  if (mode === "optional" && (!offersKey(data) || !factory)) return undefined;
  if (!factory) {
    hub.countAuthFailure("encryption_required");
    session.close(CloseCodes.ENCRYPTION_REQUIRED);
    return "closed";
  }
  try {
    const handshake = await factory({ clientId: session.id, userId: result.userId, data, record: session.record });
    if (!session.isOpen) return "closed";
    if (handshake) return handshake;
  } catch (err) {
    hub.log.warn({ clientId: session.id, err: String(err) }, "encryption handshake failed");
    if (!session.isOpen) return "closed";
  }
  hub.countAuthFailure("handshake");
  session.error(ErrorMessages.HANDSHAKE_FAILED);
  session.close(CloseCodes.ENCRYPTION_REQUIRED);
  return "closed";
}

function reject(hub: Hub, session: Session, message: string, reason: string): void {
  if (!session.isOpen) return;
  hub.countAuthFailure(reason);
  session.error(message);
  session.close(CloseCodes.AUTH_FAILED);
}

/** `refresh {token}`: same subject required; a refused refresh leaves the old expiry in force. */
export async function refreshSession(hub: Hub, session: Session, data: unknown, frameId?: string): Promise<void> {
  const token = (data as { token?: unknown } | null | undefined)?.token;
  const refuse = (message: string) => session.nack(frameId, AckErrorCodes.REFRESH_REJECTED, message);
  if (typeof token !== "string" || token.length === 0) return refuse("refresh needs data.token");
  if (!hub.hooks.refresh) return refuse("token refresh is not supported by this server");
  let result: AuthResult | null | false | undefined;
  try {
    result = await hub.hooks.refresh({ clientId: session.id, userId: session.record.userId, token });
  } catch (err) {
    result = null;
    hub.log.debug({ clientId: session.id, err: String(err) }, "refresh rejected");
  }
  if (!session.isOpen) return;
  if (!result) return refuse("token rejected");
  if (result.userId !== session.record.userId) return refuse("token subject differs from the session's");
  session.grantedRooms = result.rooms;
  hub.armExpiry(session, result.expiresAt);
  session.ack(frameId, { expiresAt: result.expiresAt ?? null });
}
