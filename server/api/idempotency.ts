/**
 * @module server/api/idempotency
 * `Idempotency-Key` for `POST /emit` and `POST /emit/batch` (SPEC §14), as a middleware placed
 * after authentication and before the route handler.
 *
 * Contract:
 * - The key is 1–128 printable ASCII characters (space to `~`); anything else is a 400 and
 *   nothing is sent. Without the header a request is not affected at all.
 * - Keys are scoped per caller: a static token by its role (`static:admin`, …), a JWT by its
 *   `sub` (`jwt:<sub>`); two callers never share a record. Only a hash of scope and key is stored.
 * - The first request with a key claims it atomically and runs. A repeat within the TTL (counted
 *   from the first request) gets the stored answer again (same status and body) with
 *   `Idempotent-Replayed: true` and sends nothing. A repeat that differs (method, path, query or
 *   body, compared as a SHA-256 of the canonical request; JSON key order and whitespace do not
 *   count) is a 422.
 * - A repeat that arrives while the first is still running waits for its answer, polling the
 *   store, at most {@link IN_FLIGHT_WAIT_MS}; past that it is a 409 (retry later, same key).
 * - Stored: answers of requests that executed, i.e. 2xx. Not stored (the claim is released, the
 *   key can be used again at once): 4xx (rejected before anything was sent) and 5xx (the send
 *   failed, e.g. the broker was down, so that retrying after the outage delivers; for a batch a
 *   5xx may follow items already sent, which a retry sends again). dryRun requests send nothing
 *   and are neither claimed nor stored.
 * - If the store cannot be reached (Redis down) the request is a 503 and nothing is sent.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "../core/types.ts";
import type { AuthVariables } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { MemoryIdempotencyStore, type DoneRecord, type IdempotencyStore, type StoredAnswer } from "./idempotency-store.ts";
import { MAX_DATA_DEPTH, withinDepth } from "./schemas.ts";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
export const MAX_KEY_LENGTH = 128;
/** How long a repeat waits for a first request still running before it answers 409. */
export const IN_FLIGHT_WAIT_MS = 10_000;
const POLL_MS = 25;

const PRINTABLE_KEY = /^[\x20-\x7e]+$/;

/** What `createApi` takes (`ApiOptions.idempotency`); without it, a memory store and the default TTL. */
export interface IdempotencySettings {
  store: IdempotencyStore;
  /** How long a key is remembered from its first request (IDEMPOTENCY_TTL_S). */
  ttlMs: number;
}

/** SPEC §14 default of IDEMPOTENCY_TTL_S. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 300_000;

interface IdempotencyOptions extends IdempotencySettings {
  log: Logger;
}

/** The header's value when valid; a 400 naming the header otherwise. */
export function checkIdempotencyKey(value: string): string {
  if (value.length < 1 || value.length > MAX_KEY_LENGTH || !PRINTABLE_KEY.test(value)) {
    const why = value.length > MAX_KEY_LENGTH ? `${value.length} characters` : value.length === 0 ? "empty" : "a control or non-ASCII character";
    throw new ApiError(400, "invalid_request", `${IDEMPOTENCY_HEADER}: expected 1-${MAX_KEY_LENGTH} printable ASCII characters (got ${why})`, IDEMPOTENCY_HEADER);
  }
  return value;
}

/** JSON with object keys sorted, so that key order does not change the fingerprint. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

/** A body that is not JSON, or too deep to re-serialise, counts as its exact text (validation refuses it anyway). */
function canonicalBody(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return withinDepth(value, MAX_DATA_DEPTH + 4) ? canonicalJson(value) : text;
  } catch {
    return text;
  }
}

/** SHA-256 of method, path, sorted query and canonical body: what "the same request" means. */
export function requestFingerprint(method: string, pathname: string, query: Array<[string, string]>, bodyText: string): string {
  const sorted = [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha256").update(JSON.stringify([method, pathname, sorted, canonicalBody(bodyText)])).digest("hex");
}

async function fingerprintOf(c: Context): Promise<string> {
  const url = new URL(c.req.url);
  return requestFingerprint(c.req.method, url.pathname, [...url.searchParams], await c.req.raw.clone().text());
}

/** The store key: a hash of the caller's scope and the key, so neither tokens nor keys reach the store. */
export function idempotencySlot(via: string, subject: string, key: string): string {
  return `sb:idem:${createHash("sha256").update(`${via}\n${subject}\n${key}`).digest("hex")}`;
}

const unavailable = (err: unknown) => new ApiError(503, "idempotency_unavailable", `${IDEMPOTENCY_HEADER}: the idempotency store is unreachable (${String(err instanceof Error ? err.message : err)}); nothing was sent`);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function replay(c: Context, answer: StoredAnswer): Response {
  return c.body(answer.body, answer.status as 200, { "content-type": answer.contentType, [REPLAYED_HEADER.toLowerCase()]: "true" });
}

export function idempotent(settings: IdempotencySettings | undefined, log: Logger): MiddlewareHandler<{ Variables: AuthVariables }> {
  const o: IdempotencyOptions = { store: settings?.store ?? new MemoryIdempotencyStore(), ttlMs: settings?.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS, log };
  return async (c, next) => {
    const header = c.req.header(IDEMPOTENCY_HEADER);
    if (header === undefined) return next();
    const key = checkIdempotencyKey(header);
    if (c.req.query("dryRun") === "true") return next();
    const fingerprint = await fingerprintOf(c);
    const slot = idempotencySlot(c.get("via"), c.get("subject"), key);
    const owner = randomUUID();
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    for (;;) {
      const held = await o.store.claim(slot, { state: "running", fingerprint, owner }, o.ttlMs).catch((err: unknown) => {
        throw unavailable(err);
      });
      if (!held) return run(c, next, o, slot, { fingerprint, owner });
      if (held.fingerprint !== fingerprint) {
        throw new ApiError(422, "idempotency_key_reused", `${IDEMPOTENCY_HEADER}: this key was used for a different request (method, path, query or body) in the last ${o.ttlMs / 1000} s; use a new key for a new request`, IDEMPOTENCY_HEADER);
      }
      if (held.state === "done") return replay(c, held.answer);
      if (Date.now() >= deadline) {
        throw new ApiError(409, "idempotency_key_in_progress", `${IDEMPOTENCY_HEADER}: a request with this key is still running after ${IN_FLIGHT_WAIT_MS / 1000} s; retry later with the same key`, IDEMPOTENCY_HEADER);
      }
      await sleep(POLL_MS);
    }
  };
}

/** Runs the claimed request; stores a 2xx answer, releases the claim otherwise (see the module contract). */
async function run(c: Context, next: () => Promise<void>, o: IdempotencyOptions, slot: string, claim: { fingerprint: string; owner: string }): Promise<void> {
  // Kept once the send happened, even if storing the answer failed: a repeat must not send again.
  let keepClaim = false;
  try {
    await next();
    const res = c.res;
    if (res.status < 200 || res.status >= 300) return;
    keepClaim = true;
    const answer: StoredAnswer = { status: res.status, contentType: res.headers.get("content-type") ?? "application/json", body: await res.clone().text() };
    const record: DoneRecord = { state: "done", ...claim, answer };
    // The send happened: a failure to store must not turn the answer into an error.
    await o.store.complete(slot, record).catch((err: unknown) => o.log.warn({ err: String(err) }, "idempotency: storing the answer failed; repeats answer 409 until the key expires"));
  } finally {
    if (!keepClaim) await o.store.release(slot, claim.owner).catch((err: unknown) => o.log.warn({ err: String(err) }, "idempotency: releasing a claim failed; repeats answer 409 until the key expires"));
  }
}
