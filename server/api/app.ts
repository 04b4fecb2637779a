/**
 * @module server/api/app
 * The REST API as a Hono app factory, mountable under any prefix (the standalone server mounts
 * it at `/api`). One `onError` maps every failure to `{"error":{"code","message"}}`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { randomUUID } from "node:crypto";
import type { RoleResolver } from "../auth/roles.ts";
import type { Target } from "../core/target.ts";
import type { Logger } from "../core/types.ts";
import { requirePermission, type AuthVariables } from "./auth.ts";
import { ApiError, errorBody, fromZod, handleError } from "./errors.ts";
import { DryRunQuery, EmitSchema } from "./schemas.ts";

/** What the API needs from the server; answers are cluster-wide where the broker allows. */
export interface ApiBackend {
  emit(target: Target, event: string, data: unknown, by: string): Promise<number>;
  countRecipients(target: Target): Promise<number>;
  readiness(): { kind: string; connected: boolean };
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

async function jsonBody(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new ApiError(400, "invalid_json", "body: expected a JSON document");
  }
}

export function createApi(o: ApiOptions): ApiApp {
  const app: ApiApp = new Hono();
  const origins = o.allowedOrigins;
  app.use("*", cors({ origin: origins.includes("*") ? "*" : origins, allowHeaders: ["Authorization", "Content-Type"], maxAge: 600 }));
  app.use("*", bodyLimit({ maxSize: o.maxBodyBytes ?? 1024 * 1024, onError: (c) => c.json(errorBody("payload_too_large", "body: larger than the accepted size"), 413) }));
  app.onError((err, c) => handleError(err, c, (e) => o.log.error({ err: String(e), path: c.req.path }, "unhandled API error")));
  app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404));

  app.get("/health", (c) => c.json({ status: "ok" }));

  app.get("/ready", (c) => {
    const broker = o.backend.readiness();
    return c.json({ status: broker.connected ? "ready" : "degraded", broker }, broker.connected ? 200 : 503);
  });

  app.post("/emit", requirePermission(o.roles, "emit"), async (c) => {
    const query = DryRunQuery.safeParse(c.req.query());
    if (!query.success) throw fromZod(query.error);
    const parsed = EmitSchema.safeParse(await jsonBody(c.req.raw));
    if (!parsed.success) throw fromZod(parsed.error);
    const { to, event, data, exclude } = parsed.data;
    const target = { ...to, exclude } as Target;
    if (query.data.dryRun === "true") return c.json({ recipients: await o.backend.countRecipients(target), dryRun: true }, 200);
    const recipients = await o.backend.emit(target, event, data, c.get("subject"));
    return c.json({ id: randomUUID(), recipients }, 202);
  });

  return app;
}
