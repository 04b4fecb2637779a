/**
 * @module shared/json
 * The one safe JSON reader for text that arrives from outside (sockets, Redis, the admin
 * channel): never throws, and says "not an object" the same way everywhere. Shape checks beyond
 * "a JSON object" belong to the caller.
 */

/** The parsed value, or undefined when `text` is not valid JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The parsed value when it is a JSON object (not an array, not null); undefined otherwise. */
export function parseJsonObject<T extends object = Record<string, unknown>>(text: string): T | undefined {
  const value = parseJson(text);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as T) : undefined;
}
