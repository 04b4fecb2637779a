/**
 * @module server/api/errors
 * The REST error shape `{"error":{"code","message","field?"}}` and the one place that maps
 * thrown errors to responses.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { HistoryUnavailableError } from "../core/history.ts";

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(status, { message });
  }
}

export function errorBody(code: string, message: string, field?: string) {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** The one 404 answer for an unmatched route (the REST API and the standalone server's root app). */
export function notFound(c: Context): Response {
  return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
}

/** A zod failure → 400 naming the first failing field. */
export function fromZod(error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : undefined;
  const message = issue ? `${field ?? "body"}: ${issue.message}` : "invalid request";
  return new ApiError(400, "invalid_request", message, field);
}

export function handleError(err: Error, c: Context, onUnexpected: (err: Error) => void): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.field), err.status);
  if (err instanceof HistoryUnavailableError) return c.json(errorBody("history_unavailable", err.message), 503);
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 413 ? "payload_too_large" : status === 401 ? "unauthorized" : "http_error";
    return c.json(errorBody(code, err.message || "request refused"), status as ContentfulStatusCode);
  }
  onUnexpected(err);
  return c.json(errorBody("internal", "internal server error"), 500);
}
