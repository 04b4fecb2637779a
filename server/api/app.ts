/**
 * @module server/api/app
 * The REST API as a Hono app factory, mountable under any prefix (the standalone server mounts
 * it at `/api`). One `onError` maps every failure to `{"error":{"code","message"}}`; bodies are
 * validated with the zod schemas that also generate `/openapi.json`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { RoleResolver } from "../auth/roles.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { Target } from "../core/target.ts";
import type { Logger } from "../core/types.ts";
import type { AuditLog } from "./audit.ts";
import type { AuthVariables } from "./auth.ts";
import { errorBody, handleError } from "./errors.ts";
import { buildOpenApi } from "./openapi.ts";
import { registerEmitRoutes } from "./routes-emit.ts";
import { registerQueryRoutes } from "./routes-query.ts";

/** What the API needs from the server; answers are cluster-wide. */
export interface ApiBackend {
  view: ClusterView;
  audit: AuditLog;
  /** Sends to every instance; resolves to the sockets addressed cluster-wide. */
  emit(target: Target, event: string, data: unknown, by: string): Promise<number>;
  readiness(): { kind: string; connected: boolean };
  /** The newest kept messages of a history room; undefined when the room keeps no history. */
  history(room: string, limit: number): Promise<{ seq: number; frames: unknown[] } | undefined>;
  /** A page of a presence room's roster; undefined when the room is not a presence room. */
  presence(room: string, page: { limit: number; cursor?: string }): Promise<{ members: unknown[]; total: number; nextCursor?: string } | undefined>;
}

export interface ApiOptions {
  backend: ApiBackend;
  roles: RoleResolver;
  allowedOrigins: string[];
  log: Logger;
  /** Largest accepted request body. @default 1 MiB */
  maxBodyBytes?: number;
}

export type ApiApp = Hono<{ Variables: AuthVariables }>;

export function createApi(o: ApiOptions): ApiApp {
  const app: ApiApp = new Hono();
  const origins = o.allowedOrigins;
  app.use("*", cors({ origin: origins.includes("*") ? "*" : origins, allowHeaders: ["Authorization", "Content-Type"], maxAge: 600 }));
  // Every answer, errors included: per-caller data is never stored by a shared cache, never sniffed.
  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("cache-control", "no-store");
  });
  app.use("*", bodyLimit({ maxSize: o.maxBodyBytes ?? 1024 * 1024, onError: (c) => c.json(errorBody("payload_too_large", "body: larger than the accepted size"), 413) }));
  app.onError((err, c) => handleError(err, c, (e) => o.log.error({ err: String(e), path: c.req.path }, "unhandled API error")));
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));

  app.get("/health", (c) => c.json({ status: "ok" as const }));
  app.get("/ready", (c) => {
    const broker = o.backend.readiness();
    return c.json({ status: broker.connected ? "ready" : "degraded", broker }, broker.connected ? 200 : 503);
  });
  registerEmitRoutes(app, o);
  registerQueryRoutes(app, o);
  const openapi = buildOpenApi();
  app.get("/openapi.json", (c) => c.json(openapi));
  return app;
}
