/**
 * @module server/api/openapi
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas the routes validate
 * with. `API_ROUTES` lists every route; a test checks it against the routes the app registers.
 */
import { z } from "zod";
import { IDEMPOTENCY_HEADER, IN_FLIGHT_WAIT_MS, MAX_KEY_LENGTH, REPLAYED_HEADER } from "./idempotency.ts";
import * as S from "./schemas.ts";
import { WebhookStatusSchema } from "./routes-webhooks.ts";

type Role = "viewer" | "emitter" | "admin" | null;

interface RouteDoc {
  method: "get" | "post" | "delete";
  /** Hono path syntax (`:id`). */
  path: string;
  summary: string;
  role: Role;
  query?: z.ZodObject;
  body?: z.ZodType;
  response: z.ZodType;
  status?: number;
  /** Accepts `Idempotency-Key` (SPEC §14, server/api/idempotency.ts). */
  idempotent?: true;
}

export const API_ROUTES: RouteDoc[] = [
  { method: "get", path: "/health", summary: "Liveness", role: null, response: S.Health },
  { method: "get", path: "/ready", summary: "Readiness: 503 while the broker is down", role: null, response: S.Ready },
  { method: "get", path: "/openapi.json", summary: "This document", role: null, response: z.object({}).passthrough() },
  { method: "get", path: "/stats", summary: "Cluster totals", role: "viewer", response: S.Stats },
  { method: "get", path: "/instances", summary: "Instances of the cluster", role: "viewer", response: S.Instances },
  { method: "get", path: "/clients", summary: "Clients, filtered and cursor-paginated", role: "viewer", query: S.ClientsQuery, response: S.ClientPage },
  { method: "get", path: "/clients/:id", summary: "One client", role: "viewer", response: S.ClientItem },
  { method: "delete", path: "/clients/:id", summary: "Disconnect a client (4007) wherever it is", role: "admin", response: z.object({ disconnected: z.string() }) },
  { method: "post", path: "/clients/:id/rooms", summary: "Join rooms on the client's behalf", role: "admin", body: S.JoinBody, response: z.object({ joined: z.array(z.string()) }) },
  { method: "delete", path: "/clients/:id/rooms/:room", summary: "Leave a room on the client's behalf", role: "admin", response: z.object({ left: z.array(z.string()) }) },
  { method: "get", path: "/rooms", summary: "Rooms with sizes, cursor-paginated", role: "viewer", query: S.RoomsQuery, response: S.RoomPage },
  { method: "get", path: "/rooms/:name", summary: "One room and its members", role: "viewer", response: S.RoomDetail },
  { method: "get", path: "/rooms/:name/presence", summary: "The members of a presence room (PRESENCE_ROOMS), cursor-paginated; 400 not_presence_room for other rooms", role: "viewer", query: S.PresenceQuery, response: S.PresencePage },
  { method: "get", path: "/rooms/:name/history", summary: "The kept messages of a history room (HISTORY_ROOMS), oldest first", role: "viewer", query: S.HistoryQuery, response: S.RoomHistory },
  { method: "post", path: "/emit", summary: "Send an event to a target (dryRun counts recipients only)", role: "emitter", query: S.DryRunQuery, body: S.EmitSchema, response: S.EmitResult, status: 202, idempotent: true },
  { method: "post", path: "/emit/batch", summary: "Send up to 100 events in order", role: "emitter", body: S.EmitBatchSchema, response: z.object({ items: z.array(S.EmitResult) }), status: 202, idempotent: true },
  { method: "get", path: "/webhooks", summary: "Webhook receivers: delivered, failed, pending, last error, last success", role: "viewer", response: WebhookStatusSchema },
  { method: "get", path: "/audit", summary: "Recent emits (who, when, target, event, recipients)", role: "viewer", query: S.AuditQuery, response: z.object({ items: z.array(S.AuditEntry) }) },
];

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });

function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)/g, "{$1}");
}

const IDEMPOTENCY_PARAMETER = {
  name: IDEMPOTENCY_HEADER,
  in: "header",
  required: false,
  description: `1-${MAX_KEY_LENGTH} printable ASCII characters, scoped to the caller. A repeat within IDEMPOTENCY_TTL_S (default 300 s) sends nothing and answers the first answer again with \`${REPLAYED_HEADER}: true\`. Only 2xx answers are stored; dryRun requests are never stored.`,
  schema: { type: "string", minLength: 1, maxLength: MAX_KEY_LENGTH, pattern: "^[\\x20-\\x7e]+$" },
};

/** The answers only a request with `Idempotency-Key` can get. */
function idempotencyResponses(error: unknown): Record<string, unknown> {
  const described = (description: string) => ({ ...(error as object), description });
  return {
    "409": described(`A request with this key is still running after ${IN_FLIGHT_WAIT_MS / 1000} s; retry later with the same key`),
    "422": described("This key was used by the same caller for a different request (method, path, query or body)"),
    "503": described("The idempotency store (Redis) is unreachable; nothing was sent"),
  };
}

function operation(r: RouteDoc) {
  const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1]!, in: "path", required: true, schema: { type: "string" } }));
  const query = r.query
    ? Object.entries(r.query.shape).map(([name, schema]) => ({ name, in: "query", required: false, schema: json(schema as z.ZodType) }))
    : [];
  const status = String(r.status ?? 200);
  const responses: Record<string, unknown> = { [status]: { description: "OK", content: { "application/json": { schema: json(r.response) } } } };
  const error = { description: "Error", content: { "application/json": { schema: json(S.ErrorResponse) } } };
  if (r.body || r.query) responses["400"] = error;
  if (r.role) Object.assign(responses, { "401": error, "403": error });
  if (r.path.includes(":")) responses["404"] = error;
  if (r.idempotent) {
    const replayed = { description: "true when this is the stored answer of an earlier request with the same Idempotency-Key", schema: { type: "string", enum: ["true"] } };
    (responses[status] as Record<string, unknown>).headers = { [REPLAYED_HEADER]: replayed };
    Object.assign(responses, idempotencyResponses(error));
  }
  return {
    summary: r.summary,
    ...(r.role ? { security: [{ bearer: [] }], "x-role": r.role } : { security: [] }),
    parameters: [...params, ...query, ...(r.idempotent ? [IDEMPOTENCY_PARAMETER] : [])],
    ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: json(r.body) } } } } : {}),
    responses,
  };
}

export function buildOpenApi(serverUrl = "/api") {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) (paths[toOpenApiPath(route.path)] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: { title: "Switchboard REST API", version: "1.0.0", description: "Roles: viewer reads, emitter emits, admin does everything. Bearer tokens: static tokens or JWTs with a role claim." },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
