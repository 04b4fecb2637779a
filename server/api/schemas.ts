/**
 * @module server/api/schemas
 * Request and response schemas of the REST API (zod). The same objects validate requests and
 * generate the OpenAPI document (`openapi.ts`), so the two cannot drift apart.
 */
import { z } from "zod";
import { SwitchboardEvents, WebSocketEvents } from "../../shared/constants.ts";
import { isValidRoomName } from "../core/room-policy.ts";

export const RoomName = z.string().refine(isValidRoomName, "expected a room name of 1-256 printable characters not starting with ws:");
const Id = z.string().min(1).max(256);

/** System events would confuse clients' state machines, so they cannot be emitted. */
const RESERVED_EVENTS: ReadonlySet<string> = new Set([...WebSocketEvents.SCHEME_SET, ...Object.values(SwitchboardEvents)]);

export const TargetSchema = z.union([
  z.strictObject({ broadcast: z.literal(true) }),
  z.strictObject({ room: RoomName }),
  z.strictObject({ rooms: z.array(RoomName).min(1).max(1000) }),
  z.strictObject({ user: Id }),
  z.strictObject({ client: Id }),
], { error: "expected exactly one of {broadcast:true}, {room}, {rooms}, {user}, {client}" });

/**
 * Deepest nesting accepted in `data`. Deeper JSON parses (the parser is iterative) but cannot be
 * serialised again (JSON.stringify recurses and overflows the stack near 10^4 levels), so it
 * would pass validation and then fail at delivery with a 500; it is a 400 on `data` instead.
 */
export const MAX_DATA_DEPTH = 128;

/** True when no object or array in `value` is nested deeper than `max` (checked without recursion). */
export function withinDepth(value: unknown, max = MAX_DATA_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

export const EmitSchema = z.strictObject({
  to: TargetSchema,
  event: z.string().min(1).max(256).refine((e) => !RESERVED_EVENTS.has(e), "this is a reserved system event"),
  data: z.unknown().optional().refine((d) => withinDepth(d), `expected JSON nested at most ${MAX_DATA_DEPTH} levels deep`),
  exclude: z.array(Id).max(10_000).optional(),
});
export type EmitBody = z.infer<typeof EmitSchema>;

export const EmitBatchSchema = z.strictObject({ messages: z.array(EmitSchema).min(1).max(100) });

export const DryRunQuery = z.object({ dryRun: z.enum(["true", "false"]).optional() });

const Limit = z.coerce.number().int().min(1).max(500).default(50);
const Cursor = z.string().max(1024).optional();

export const ClientsQuery = z.object({
  room: z.string().max(256).optional(),
  userId: z.string().max(256).optional(),
  instance: z.string().max(128).optional(),
  encrypted: z.enum(["true", "false"]).optional(),
  q: z.string().max(256).optional(),
  limit: Limit,
  cursor: Cursor,
});

export const RoomsQuery = z.object({ q: z.string().max(256).optional(), limit: Limit, cursor: Cursor });
export const AuditQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) });
export const PresenceQuery = z.object({ limit: Limit, cursor: Cursor });
export const JoinBody = z.strictObject({ rooms: z.array(RoomName).min(1).max(100) });

// ---- responses (documentation) -----------------------------------------------------------

export const ErrorResponse = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });

export const ClientItem = z.object({
  id: z.string(), userId: z.string().optional(), instanceId: z.string(),
  state: z.enum(["unauthorized", "authenticating", "authenticated", "disconnected"]), rooms: z.array(z.string()),
  encrypted: z.boolean(), encryptedAt: z.number().optional(), connectedAt: z.number(), lastActivity: z.number(),
  remoteAddress: z.string(), userAgent: z.string(), metadata: z.unknown().optional(),
  transport: z.enum(["ws", "sse"]).describe("ws: a WebSocket; sse: a receive-only Server-Sent Events stream"),
});
export const ClientPage = z.object({ items: z.array(ClientItem), total: z.number(), nextCursor: z.string().nullable() });
export const RoomItem = z.object({ name: z.string(), size: z.number(), history: z.boolean() });
export const RoomPage = z.object({ items: z.array(RoomItem), total: z.number(), nextCursor: z.string().nullable() });
export const RoomDetail = z.object({ name: z.string(), size: z.number(), history: z.boolean(), clients: z.array(ClientItem) });
export const Stats = z.object({
  instances: z.number(), connections: z.number(), authenticated: z.number(), encrypted: z.number(),
  rooms: z.number(), users: z.number(), messagesInPerSec: z.number(), messagesOutPerSec: z.number(),
});
export const Instances = z.object({
  items: z.array(z.object({ id: z.string(), host: z.string(), pid: z.number(), startedAt: z.number(), lastSeen: z.number(), connections: z.number(), healthy: z.boolean() })),
});
export const EmitResult = z.object({ id: z.string(), recipients: z.number() });
export const DryRunResult = z.object({ recipients: z.number(), dryRun: z.literal(true) });
export const AuditEntry = z.object({ id: z.string(), at: z.number(), by: z.string(), target: z.unknown(), event: z.string(), recipients: z.number() });
export const RoomHistory = z.object({
  room: z.string(), seq: z.number(),
  items: z.array(z.object({ event: z.string(), data: z.unknown().optional(), seq: z.number(), room: z.string() })),
});
export const Health = z.object({ status: z.literal("ok") });
export const Ready = z.object({ status: z.string(), broker: z.object({ kind: z.string(), connected: z.boolean() }) });

export const PresenceMember = z.object({ userId: z.string().optional(), clientIds: z.array(z.string()), info: z.record(z.string(), z.unknown()).optional() });
export const PresencePage = z.object({ room: z.string(), members: z.array(PresenceMember), total: z.number(), nextCursor: z.string().optional() });
