/**
 * @module server/api/app
 * The REST API as a Hono app factory, mountable under any prefix (the standalone server mounts
 * it at `/api`). One `onError` maps every failure to `{"error":{"code","message"}}`; bodies are
 * validated with the zod schemas that also generate `/openapi.json`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { handleError, errorBody, notFound } from "./errors.ts";
import { buildOpenApi } from "./openapi.ts";
import { registerEmitRoutes } from "./routes-emit.ts";
import { registerQueryRoutes } from "./routes-query.ts";
import type { ApiApp, ApiOptions } from "./types.ts";

export type { ApiApp, ApiBackend, ApiOptions } from "./types.ts";
import { registerWebhookRoutes } from "./routes-webhooks.ts";

export function createApi(o: ApiOptions): ApiApp {
  const app: ApiApp = new Hono();
  const origins = o.allowedOrigins;
  app.use("*", cors({ origin: origins.includes("*") ? "*" : origins, allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"], exposeHeaders: ["Idempotent-Replayed"], maxAge: 600 }));
  // Every answer, errors included: per-caller data is never stored by a shared cache, never sniffed.
  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("cache-control", "no-store");
  });
  app.use("*", bodyLimit({ maxSize: o.maxBodyBytes ?? 1024 * 1024, onError: (c) => c.json(errorBody("payload_too_large", "body: larger than the accepted size"), 413) }));
  app.onError((err, c) => handleError(err, c, (e) => o.log.error({ err: String(e), path: c.req.path }, "unhandled API error")));
  app.notFound(notFound);

  app.get("/health", (c) => c.json({ status: "ok" as const }));
  app.get("/ready", (c) => {
    const broker = o.backend.readiness();
    return c.json({ status: broker.connected ? "ready" : "degraded", broker }, broker.connected ? 200 : 503);
  });
  registerEmitRoutes(app, o);
  registerQueryRoutes(app, o);
  registerWebhookRoutes(app, o);
  const openapi = buildOpenApi();
  app.get("/openapi.json", (c) => c.json(openapi));
  return app;
}
