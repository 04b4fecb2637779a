/**
 * @module server/api/types
 * What the REST API needs from the server (`ApiBackend`) and how it is built (`ApiOptions`):
 * shared by the app factory and its route files.
 */
import type { ReceiverStatus } from "../webhooks/receiver.ts";
import type { IdempotencySettings } from "./idempotency.ts";
import type { Hono } from "hono";
import type { AuditLog } from "../audit/log.ts";
import type { RoleResolver } from "../auth/roles.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { Target } from "../core/target.ts";
import type { Logger } from "../core/types.ts";
import type { AuthVariables } from "./auth.ts";

/** What the API needs from the server; answers are cluster-wide. */
export interface ApiBackend {
  view: ClusterView;
  /** Where emits are recorded; `record` must not wait for storage (see server/audit/queue.ts). */
  audit: AuditLog;
  /** Sends to every instance; resolves to the sockets addressed cluster-wide. */
  emit(target: Target, event: string, data: unknown, by: string): Promise<number>;
  readiness(): { kind: string; connected: boolean };
  /** The newest kept messages of a history room; undefined when the room keeps no history. */
  history(room: string, limit: number): Promise<{ seq: number; frames: unknown[] } | undefined>;
  /** Whether `room` keeps history (matches HISTORY_ROOMS and a history store is configured). */
  isHistoryRoom(room: string): boolean;
  /** A page of a presence room's roster; undefined when the room is not a presence room. */
  presence(room: string, page: { limit: number; cursor?: string }): Promise<{ members: unknown[]; total: number; nextCursor?: string } | undefined>;
}

/** Where `GET /webhooks` reads from: the server's webhooks, when configured. */
export type WebhookStatusSource = () => Promise<ReceiverStatus[]>;

export interface ApiOptions {
  backend: ApiBackend;
  roles: RoleResolver;
  allowedOrigins: string[];
  log: Logger;
  /** Largest accepted request body. @default 1 MiB */
  maxBodyBytes?: number;
  /** Where `Idempotency-Key` records of emits live and for how long. @default memory, 300 s */
  idempotency?: IdempotencySettings;
  /** Receivers' status for `GET /webhooks` (absent: webhooks off). */
  webhooks?: WebhookStatusSource;
}

export type ApiApp = Hono<{ Variables: AuthVariables }>;
