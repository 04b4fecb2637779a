/**
 * @module server/core/message-flow
 * Client `join`, `leave` and custom events, after the session validated the frame and checked
 * that the client is authenticated. Each answers with an `ack` when the frame had an `id`;
 * without one, behaviour is the Ignis one (silent).
 */
import { AckErrorCodes } from "../../shared/close-codes.ts";
import type { InboundFrame } from "../../shared/protocol.ts";
import type { FlowContext } from "./flow-context.ts";
import { isOwnIdRoom } from "./registry.ts";
import { matchesAny } from "./room-policy.ts";
import type { Session } from "./session.ts";
import { RequestError, type RequestHandler } from "./types.ts";

/**
 * Joins the allowed rooms and acks `{joined, denied, seq?}`. For a history room the ack's
 * `seq[room]` is the position the client joined at: every message after it reaches the client,
 * none before. To make that exact, the client is held (as during recovery) while the position
 * is read, then the held frames newer than it are flushed and the client goes live.
 */
export async function joinRooms(ctx: FlowContext, session: Session, requested: string[], frameId?: string): Promise<void> {
  const { membership } = ctx;
  const { valid, invalid } = membership.joinable(requested, session.id);
  const allowed = await allowedRooms(ctx, session, valid);
  if (!session.isOpen) return;
  const held: string[] = [];
  for (const room of allowed) {
    const history = ctx.history && ctx.isHistoryRoom(room) && !membership.isMemberOrHeld(session, room);
    if (!history) {
      membership.join(session, room);
      continue;
    }
    membership.hold(session, room);
    held.push(room);
  }
  const seq = held.length > 0 ? await positionsAndGoLive(ctx, session, held) : undefined;
  if (!session.isOpen) return;
  const denied = [...invalid, ...valid.filter((room) => !allowed.includes(room))];
  if (denied.length > 0) ctx.log.debug({ clientId: session.id, denied }, "join denied");
  session.ack(frameId, seq ? { joined: allowed, denied, seq } : { joined: allowed, denied });
}

async function positionsAndGoLive(ctx: FlowContext, session: Session, rooms: string[]): Promise<Record<string, number>> {
  const seq: Record<string, number> = {};
  await Promise.all(
    rooms.map(async (room) => {
      try {
        seq[room] = await ctx.history!.position(room);
      } catch (err) {
        ctx.log.warn({ clientId: session.id, room, err: String(err) }, "history position unavailable; joined without one");
      }
    }),
  );
  for (const room of rooms) ctx.membership.release(session, room, [], seq[room] ?? 0);
  return seq;
}

/** The rooms of `valid` this client may join: patterns and token claim, or the validateRooms hook. */
export async function allowedRooms(ctx: FlowContext, session: Session, valid: string[]): Promise<string[]> {
  if (valid.length === 0) return [];
  const { userId } = session.record;
  const hook = ctx.hooks.validateRooms;
  if (!hook) {
    return valid.filter(
      (room) => isOwnIdRoom(session.id, room) || matchesAny(room, ctx.options.allowedRooms, userId) || matchesAny(room, session.grantedRooms ?? [], userId),
    );
  }
  try {
    const answer = await hook({ clientId: session.id, userId, rooms: valid });
    return Array.isArray(answer) ? valid.filter((room) => answer.includes(room)) : [];
  } catch (err) {
    ctx.log.error({ clientId: session.id, err: String(err) }, "validateRooms hook threw; nothing joined");
    return [];
  }
}

/** Leaves the rooms the client is in, except its own-id room (SPEC §3.2 item 4). */
export function leaveRooms(ctx: FlowContext, session: Session, requested: string[], frameId?: string): void {
  const left: string[] = [];
  for (const room of new Set(requested)) if (ctx.membership.leave(session, room)) left.push(room);
  session.ack(frameId, { left });
}

/** Built-in request events (registered with `hub.requests`) first; other custom events go to the `onMessage` hook, whose return value is the ack's result. */
export function handleCustom(ctx: FlowContext, session: Session, message: InboundFrame & Record<string, unknown>): void {
  const frameId = message.id;
  const handler = ctx.requests.get(message.event);
  if (handler) return handleRequest(ctx, session, handler, message);
  const hook = ctx.hooks.onMessage;
  if (!hook) {
    session.nack(frameId, AckErrorCodes.NO_HANDLER, `no handler for event "${message.event}"`);
    return;
  }
  const { id: clientId, userId } = session.record;
  Promise.resolve()
    .then(() => hook({ clientId, userId, message }))
    .then(
      (result) => {
        if (session.isOpen) session.ack(frameId, result);
      },
      (err: unknown) => {
        ctx.log.warn({ clientId, event: message.event, err: String(err) }, "onMessage hook failed");
        if (session.isOpen) session.nack(frameId, AckErrorCodes.HANDLER_ERROR, err instanceof Error ? err.message : String(err));
      },
    );
}


function handleRequest(ctx: FlowContext, session: Session, handler: RequestHandler, message: InboundFrame & Record<string, unknown>): void {
  const { id: clientId, userId, rooms } = session.record;
  Promise.resolve()
    .then(() => handler({ clientId, userId, rooms, data: message.data }))
    .then(
      (result) => {
        if (session.isOpen) session.ack(message.id, result);
      },
      (err: unknown) => {
        if (!session.isOpen) return;
        if (err instanceof RequestError) return session.nack(message.id, err.code, err.message);
        ctx.log.warn({ clientId, event: message.event, err: String(err) }, "request handler failed");
        session.nack(message.id, AckErrorCodes.HANDLER_ERROR, err instanceof Error ? err.message : String(err));
      },
    );
}
