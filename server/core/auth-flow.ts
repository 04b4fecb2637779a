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
import type { FlowContext } from "./flow-context.ts";
import type { Session } from "./session.ts";
import type { AuthResult, HandshakeResult } from "./types.ts";
import { beginRecovery, requestedPositions } from "./recovery.ts";

export async function authenticateSession(ctx: FlowContext, session: Session, data: Record<string, unknown>, frameId?: string): Promise<void> {
  if (session.state !== States.UNAUTHORIZED) {
    return session.error(ErrorMessages.ALREADY_AUTHENTICATED, frameId, AckErrorCodes.ALREADY_AUTHENTICATED);
  }
  ctx.beginAuthentication(session);
  session.arm(ctx.options.authTimeout * 3, () => {
    if (session.state === States.AUTHENTICATING) session.close(CloseCodes.AUTH_TIMEOUT);
  });
  let result: AuthResult | null | false | undefined;
  try {
    result = ctx.hooks.authenticate ? await ctx.hooks.authenticate(data) : null;
  } catch (err) {
    ctx.log.warn({ clientId: session.id, err: String(err) }, "authenticate hook threw");
    return reject(ctx, session, ErrorMessages.AUTH_ERROR, "error");
  }
  if (!session.isOpen) return;
  if (!result) return reject(ctx, session, ErrorMessages.AUTH_FAILED, "rejected");
  // Awaited only when there is a handshake to run: most connections skip a microtask here.
  const handshake = needsHandshake(ctx, data) ? await runHandshake(ctx, session, data, result) : undefined;
  if (handshake === "closed" || !session.isOpen) return;
  session.grantedRooms = result.rooms;
  session.record.userId = result.userId;
  const positions = requestedPositions(data);
  const recovery = positions ? await beginRecovery(ctx, session, positions) : undefined;
  if (!session.isOpen) return;
  // Checked after the last await, right before the synchronous admission, so concurrent
  // authentications of one user cannot all pass the cap.
  if (!ctx.hasRoomForUser(result.userId)) {
    ctx.countAuthFailure("user_cap");
    session.error(ErrorMessages.TOO_MANY_CONNECTIONS);
    return session.close(CloseCodes.TOO_MANY_CONNECTIONS);
  }
  try {
    ctx.admit(session, result, handshake, recovery);
  } catch (err) {
    ctx.log.error({ clientId: session.id, err: String(err) }, "admission failed");
    return reject(ctx, session, ErrorMessages.AUTH_ERROR, "error");
  }
}

function offersKey(data: Record<string, unknown>): boolean {
  return data.publicKey !== undefined && data.publicKey !== null && data.publicKey !== "";
}

function needsHandshake(ctx: FlowContext, data: Record<string, unknown>): boolean {
  const mode = ctx.options.encryption;
  return mode === "required" || (mode === "optional" && offersKey(data) && ctx.codecFactory !== undefined);
}

/**
 * The encryption step. `off`: none. `optional`: only for a client that sent a `publicKey`.
 * `required`: a client without a valid key is closed 4004.
 */
async function runHandshake(ctx: FlowContext, session: Session, data: Record<string, unknown>, result: AuthResult): Promise<HandshakeResult | undefined | "closed"> {
  const mode = ctx.options.encryption;
  const factory = ctx.codecFactory;
  if (mode === "off") return undefined;
  if (mode === "optional" && (!offersKey(data) || !factory)) return undefined;
  if (!factory) {
    ctx.countAuthFailure("encryption_required");
    session.close(CloseCodes.ENCRYPTION_REQUIRED);
    return "closed";
  }
  try {
    const handshake = await factory({ clientId: session.id, userId: result.userId, data, record: session.record });
    if (!session.isOpen) return "closed";
    if (handshake) return handshake;
  } catch (err) {
    ctx.log.warn({ clientId: session.id, err: String(err) }, "encryption handshake failed");
    if (!session.isOpen) return "closed";
  }
  ctx.countAuthFailure("handshake");
  session.error(ErrorMessages.HANDSHAKE_FAILED);
  session.close(CloseCodes.ENCRYPTION_REQUIRED);
  return "closed";
}

function reject(ctx: FlowContext, session: Session, message: string, reason: string): void {
  if (!session.isOpen) return;
  ctx.countAuthFailure(reason);
  session.error(message);
  session.close(CloseCodes.AUTH_FAILED);
}

/** `refresh {token}`: same subject required; a refused refresh leaves the old expiry in force. */
export async function refreshSession(ctx: FlowContext, session: Session, data: unknown, frameId?: string): Promise<void> {
  const token = (data as { token?: unknown } | null | undefined)?.token;
  const refuse = (message: string) => session.nack(frameId, AckErrorCodes.REFRESH_REJECTED, message);
  if (typeof token !== "string" || token.length === 0) return refuse("refresh needs data.token");
  if (!ctx.hooks.refresh) return refuse("token refresh is not supported by this server");
  let result: AuthResult | null | false | undefined;
  try {
    result = await ctx.hooks.refresh({ clientId: session.id, userId: session.record.userId, token });
  } catch (err) {
    result = null;
    ctx.log.debug({ clientId: session.id, err: String(err) }, "refresh rejected");
  }
  if (!session.isOpen) return;
  if (!result) return refuse("token rejected");
  if (result.userId !== session.record.userId) return refuse("token subject differs from the session's");
  session.grantedRooms = result.rooms;
  ctx.armExpiry(session, result.expiresAt);
  session.ack(frameId, { expiresAt: result.expiresAt ?? null });
}
