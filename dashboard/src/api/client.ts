/**
 * @module dashboard/api/client
 * A typed client of the REST API (SPEC §7) for one token. Every failure becomes an `ApiError`
 * carrying the server's `{error:{code,message,field}}`; a network failure has status 0. A 401
 * in the middle of a session means the token expired or was revoked: `onUnauthorized` is told
 * so the dashboard can return to the login form with a clear message.
 */
import type { ClientData, InstanceData, PageData, StatsData } from "../../../shared/admin.ts";

export interface RoomItem {
  name: string;
  size: number;
  /** Whether the room keeps history (HISTORY_ROOMS): only those have `GET /rooms/:name/history`. */
  history: boolean;
}

export type EmitTarget = { broadcast: true } | { room: string } | { rooms: string[] } | { user: string } | { client: string };

export interface EmitBody {
  to: EmitTarget;
  event: string;
  data?: unknown;
  exclude?: string[];
}

export interface RoomHistory {
  room: string;
  seq: number;
  items: Array<{ event: string; data?: unknown; seq: number; room: string }>;
}

export interface AuditEntry {
  id: string;
  at: number;
  by: string;
  target: EmitTarget & { exclude?: string[] };
  event: string;
  recipients: number;
}

export interface ClientQuery {
  q?: string;
  userId?: string;
  room?: string;
  instance?: string;
  encrypted?: "true" | "false";
  limit?: number;
  cursor?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Query = Record<string, string | number | undefined>;

function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function toApiError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.message) return new ApiError(res.status, body.error.code ?? "error", body.error.message, body.error.field);
  } catch {
    // not JSON: fall through to a generic message
  }
  return new ApiError(res.status, "http_error", `The server answered ${res.status} ${res.statusText}`.trim());
}

export class ApiClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly onUnauthorized: (error: ApiError) => void = () => {},
  ) {}

  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}${queryString(options.query)}`, {
        method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "network", "The server cannot be reached.");
    }
    if (res.ok) return (await res.json()) as T;
    const error = await toApiError(res);
    if (res.status === 401) this.onUnauthorized(error);
    throw error;
  }

  stats = () => this.request<StatsData>("GET", "/stats");
  instances = () => this.request<{ items: InstanceData[] }>("GET", "/instances");
  clients = (query: ClientQuery) => this.request<PageData<ClientData>>("GET", "/clients", { query: { ...query } });
  client = (id: string) => this.request<ClientData>("GET", `/clients/${encodeURIComponent(id)}`);
  disconnect = (id: string) => this.request<{ disconnected: string }>("DELETE", `/clients/${encodeURIComponent(id)}`);
  join = (id: string, rooms: string[]) => this.request<{ joined: string[] }>("POST", `/clients/${encodeURIComponent(id)}/rooms`, { body: { rooms } });
  leave = (id: string, room: string) =>
    this.request<{ left: string[] }>("DELETE", `/clients/${encodeURIComponent(id)}/rooms/${encodeURIComponent(room)}`);
  rooms = (query: { q?: string; limit?: number; cursor?: string }) => this.request<PageData<RoomItem>>("GET", "/rooms", { query });
  emit = (body: EmitBody) => this.request<{ id: string; recipients: number }>("POST", "/emit", { body });
  dryRun = (body: EmitBody) => this.request<{ recipients: number; dryRun: true }>("POST", "/emit", { query: { dryRun: "true" }, body });
  audit = (limit = 50) => this.request<{ items: AuditEntry[] }>("GET", "/audit", { query: { limit } });
  /** Kept messages of a history room, oldest first; an ApiError with status 404 for other rooms. */
  history = (room: string, limit = 20) => this.request<RoomHistory>("GET", `/rooms/${encodeURIComponent(room)}/history`, { query: { limit } });
}
