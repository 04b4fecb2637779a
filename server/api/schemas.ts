/**
 * @module server/api/schemas
 * Request schemas of the REST API (zod). The same schemas validate requests and will generate
 * the OpenAPI document.
 */
import { z } from "zod";
import { SwitchboardEvents, WebSocketEvents } from "../../shared/constants.ts";
import { isValidRoomName } from "../core/room-policy.ts";

const roomName = z.string().refine(isValidRoomName, "expected a room name of 1-256 printable characters not starting with ws:");
const id = z.string().min(1).max(256);

/** System events would confuse clients' state machines, so they cannot be emitted. */
const RESERVED_EVENTS: ReadonlySet<string> = new Set([...WebSocketEvents.SCHEME_SET, ...Object.values(SwitchboardEvents)]);

export const TargetSchema = z.union([
  z.strictObject({ broadcast: z.literal(true) }),
  z.strictObject({ room: roomName }),
  z.strictObject({ rooms: z.array(roomName).min(1).max(1000) }),
  z.strictObject({ user: id }),
  z.strictObject({ client: id }),
], { error: "expected exactly one of {broadcast:true}, {room}, {rooms}, {user}, {client}" });

export const EmitSchema = z.strictObject({
  to: TargetSchema,
  event: z.string().min(1).max(256).refine((e) => !RESERVED_EVENTS.has(e), "this is a reserved system event"),
  data: z.unknown().optional(),
  exclude: z.array(id).max(10_000).optional(),
});

export type EmitBody = z.infer<typeof EmitSchema>;

export const DryRunQuery = z.object({ dryRun: z.enum(["true", "false"]).optional() });
