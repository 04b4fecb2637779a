/**
 * @module server/api/routes-emit
 * `POST /emit` (one message, `?dryRun=true` counts recipients and sends nothing),
 * `POST /emit/batch` (up to 100 messages, sent in order) and `GET /audit` (recent emits).
 */
import { randomUUID } from "node:crypto";
import type { Target } from "../core/target.ts";
import type { ApiApp, ApiOptions } from "./types.ts";
import { requirePermission } from "./auth.ts";
import { idempotent } from "./idempotency.ts";
import { parseQuery, readBody } from "./validate.ts";
import { AuditQuery, DryRunQuery, EmitBatchSchema, EmitSchema, type EmitBody } from "./schemas.ts";

function targetOf(body: EmitBody): Target {
  return { ...body.to, exclude: body.exclude } as Target;
}

export function registerEmitRoutes(app: ApiApp, o: ApiOptions): void {
  // Idempotency-Key (SPEC §14): one record store for both emit routes; see server/api/idempotency.ts.
  const once = idempotent(o.idempotency, o.log);
  const send = async (body: EmitBody, by: string) => {
    const target = targetOf(body);
    const recipients = await o.backend.emit(target, body.event, body.data, by);
    const id = randomUUID();
    await o.backend.audit.record({ id, at: Date.now(), by, target, event: body.event, recipients });
    return { id, recipients };
  };

  app.post("/emit", requirePermission(o.roles, "emit"), once, async (c) => {
    const query = parseQuery(DryRunQuery, c.req.query());
    const body = await readBody(c.req.raw, EmitSchema);
    if (query.dryRun === "true") return c.json({ recipients: await o.backend.view.countRecipients(targetOf(body)), dryRun: true as const }, 200);
    return c.json(await send(body, c.get("subject")), 202);
  });

  app.post("/emit/batch", requirePermission(o.roles, "emit"), once, async (c) => {
    const { messages } = await readBody(c.req.raw, EmitBatchSchema);
    const items = [];
    for (const message of messages) items.push(await send(message, c.get("subject")));
    return c.json({ items }, 202);
  });

  app.get("/audit", requirePermission(o.roles, "read"), async (c) => {
    const { limit } = parseQuery(AuditQuery, c.req.query());
    return c.json({ items: await o.backend.audit.list(limit) });
  });
}
