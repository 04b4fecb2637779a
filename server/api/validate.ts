/**
 * @module server/api/validate
 * Request parsing with zod: a failure is a 400 naming the first failing field.
 */
import type { z } from "zod";
import { ApiError, fromZod } from "./errors.ts";

export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}

export async function readBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let value: unknown;
  try {
    value = await req.json();
  } catch {
    throw new ApiError(400, "invalid_json", "body: expected a JSON document");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fromZod(parsed.error);
  return parsed.data;
}
