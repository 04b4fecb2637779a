/**
 * @module shared/admin
 * The live admin channel protocol (SPEC §8), shared by the server and the dashboard.
 * Frames are `{event, data}` like the client protocol. The first client frame is
 * `{"event":"authenticate","data":{"token":…}}` with an admin or viewer token (else 4003).
 */

import type { ClientState } from "./constants.ts";

export const ADMIN_WS_PATH = "/admin/ws";

// The data shapes below are the single definition of what the REST API, the admin channel and
// the library queries return; the server's cluster view and queries use these types.

export interface StatsData {
  instances: number;
  connections: number;
  authenticated: number;
  encrypted: number;
  rooms: number;
  users: number;
  messagesInPerSec: number;
  messagesOutPerSec: number;
}

export interface InstanceData {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  lastSeen: number;
  connections: number;
  healthy: boolean;
}

export interface PageData<T> {
  items: T[];
  total: number;
  nextCursor: string | null;
}

export interface ClientData {
  id: string;
  userId?: string;
  instanceId: string;
  state: ClientState;
  /** Rooms the client is in, without its internal own-id room. */
  rooms: string[];
  encrypted: boolean;
  encryptedAt?: number;
  connectedAt: number;
  lastActivity: number;
  remoteAddress: string;
  userAgent: string;
  metadata?: unknown;
  /** How the client is connected: a WebSocket, or a Server-Sent Events stream (receive-only). */
  transport: "ws" | "sse";
}

/** Events streamed cluster-wide; every one carries the instance it happened on and when. */
export interface AdminStreamEvents {
  "client:connected": { clientId: string; instanceId: string; remoteAddress: string; at: number };
  "client:authenticated": { clientId: string; instanceId: string; userId?: string; encrypted: boolean; at: number };
  "client:disconnected": { clientId: string; instanceId: string; userId?: string; code: number; reason: string; at: number };
  "room:joined": { clientId: string; instanceId: string; room: string; at: number };
  "room:left": { clientId: string; instanceId: string; room: string; at: number };
  emit: { instanceId: string; by?: string; target: unknown; event: string; recipients: number; at: number };
  "instance:up": { instanceId: string; at: number };
  "instance:down": { instanceId: string; at: number };
}

export type AdminStreamEventName = keyof AdminStreamEvents;

/** One stream event as a frame (what the server's admin channel and the cluster feed carry). */
export type StreamEvent = { [K in AdminStreamEventName]: { event: K; data: AdminStreamEvents[K] } }[AdminStreamEventName];

export interface AdminServerEvents extends AdminStreamEvents {
  snapshot: { role: "admin" | "viewer"; stats: StatsData; instances: InstanceData[]; clients: PageData<ClientData>; rooms: PageData<{ name: string; size: number }> };
  stats: StatsData & { at: number };
  /** The stream switched between individual events and aggregated counts. */
  mode: { aggregated: boolean; eventsPerSec: number; threshold: number };
  /** In aggregated mode, once a second: how many events of each kind happened. */
  aggregate: { counts: Partial<Record<AdminStreamEventName, number>>; windowMs: number; at: number };
  error: { message: string };
}

export type AdminFrame = { [K in keyof AdminServerEvents]: { event: K; data: AdminServerEvents[K] } }[keyof AdminServerEvents];
