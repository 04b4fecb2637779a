/**
 * @module dashboard/format
 * Display formatting: numbers, times, targets and event summaries.
 */
import type { EmitTarget } from "./api/client.ts";
import type { LogEntry } from "./live/store.ts";

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export function formatCount(n: number | undefined): string {
  return n === undefined ? "–" : integer.format(n);
}

export function formatRate(n: number | undefined): string {
  return n === undefined ? "–" : decimal.format(n);
}

export function formatPercent(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || !whole) return "–";
  return `${decimal.format((part / whole) * 100)}%`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${integer.format(n)} ${n === 1 ? one : many}`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
}

export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString("en-GB", { hour12: false });
}

/** "12s ago", "5m ago", "3h ago", "2d ago". */
export function formatAgo(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** The first 8 characters of an id, for tables (the full id is in the title and the detail panel). */
export function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 8)}…` : id;
}

export function describeTarget(target: unknown): string {
  const t = (target ?? {}) as Partial<Record<string, unknown>> & { exclude?: string[] };
  const excluded = t.exclude?.length ? ` (excluding ${plural(t.exclude.length, "client")})` : "";
  if (t.broadcast) return `everyone${excluded}`;
  if (typeof t.room === "string") return `room ${t.room}${excluded}`;
  if (Array.isArray(t.rooms)) return `rooms ${t.rooms.join(", ")}${excluded}`;
  if (typeof t.user === "string") return `user ${t.user}${excluded}`;
  if (typeof t.client === "string") return `client ${t.client}${excluded}`;
  return JSON.stringify(target);
}

export function targetOf(kind: "broadcast" | "room" | "user" | "client", value: string): EmitTarget {
  switch (kind) {
    case "broadcast":
      return { broadcast: true };
    case "room":
      return { room: value };
    case "user":
      return { user: value };
    case "client":
      return { client: value };
  }
}

/** One line describing a stream event. */
export function summarize(entry: LogEntry): string {
  switch (entry.event) {
    case "client:connected":
      return `client ${entry.data.clientId} connected from ${entry.data.remoteAddress || "?"}`;
    case "client:authenticated":
      return `client ${entry.data.clientId} authenticated as ${entry.data.userId ?? "?"}${entry.data.encrypted ? " (encrypted)" : ""}`;
    case "client:disconnected":
      return `client ${entry.data.clientId} disconnected: ${entry.data.code}${entry.data.reason ? ` ${entry.data.reason}` : ""}`;
    case "room:joined":
      return `client ${entry.data.clientId} joined ${entry.data.room}`;
    case "room:left":
      return `client ${entry.data.clientId} left ${entry.data.room}`;
    case "emit":
      return `${entry.data.by ?? "server"} emitted "${entry.data.event}" to ${describeTarget(entry.data.target)}: ${plural(entry.data.recipients, "recipient")}`;
    case "instance:up":
      return `instance ${entry.data.instanceId} is up`;
    case "instance:down":
      return `instance ${entry.data.instanceId} is down`;
  }
}

export function entryTime(entry: LogEntry): number {
  return entry.data.at;
}
