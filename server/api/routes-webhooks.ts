/**
 * @module server/api/routes-webhooks
 * `GET /api/webhooks` (viewer, SPEC §13): per receiver `{url, delivered, failed, pending,
 * lastError, lastSuccessAt}` — cluster-wide with Redis — with credentials in URLs redacted.
 * `enabled` is false (and `items` empty) while WEBHOOK_URLS is unset.
 */
import { z } from "zod";
import type { ApiApp, ApiOptions } from "./types.ts";
import { requirePermission } from "./auth.ts";

export const WebhookStatusSchema = z.object({
  enabled: z.boolean(),
  items: z.array(z.object({
    url: z.string(), delivered: z.number(), failed: z.number(), pending: z.number(),
    lastError: z.string().nullable(), lastSuccessAt: z.string().nullable(),
  })),
});


export function registerWebhookRoutes(app: ApiApp, o: ApiOptions): void {
  const source = o.webhooks;
  app.get("/webhooks", requirePermission(o.roles, "read"), async (c) => {
    const body: z.infer<typeof WebhookStatusSchema> = { enabled: source !== undefined, items: source ? await source() : [] };
    return c.json(body);
  });
}
