/**
 * @module shared/webhooks
 * What a webhook receiver needs (SPEC §13), importable as `switchboard/webhooks` on Bun and
 * Node.js 20+ (WebCrypto only, no Bun or Node-specific API):
 * - `verifyWebhook(secret, headers, rawBody, toleranceS)` checks `Switchboard-Signature`
 *   (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`) with a constant-time
 *   comparison and refuses a `t` more than `toleranceS` seconds away from now,
 *   so a captured request cannot be replayed later.
 * - `signWebhook` builds that header (the server signs with it; tests and tools can too).
 * - The event names and the payload types.
 *
 * Verify the raw body exactly as received (before any JSON parsing), then dedupe batches by
 * `Switchboard-Webhook-Id`: delivery is at least once.
 */

export const WEBHOOK_EVENT_NAMES = ["client.connected", "client.disconnected", "room.occupied", "room.vacated", "member.added", "member.removed"] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENT_NAMES)[number];

export const WEBHOOK_ID_HEADER = "Switchboard-Webhook-Id";
export const WEBHOOK_SIGNATURE_HEADER = "Switchboard-Signature";

/**
 * One event of a batch. `time` is when it happened (ISO 8601): a `room.vacated` is sent
 * WEBHOOK_VACATE_DELAY_MS later but carries the time of the last leave. `userId` is null for
 * clients authenticated without a user; a member event for such a client carries its `clientId`.
 */
export type WebhookEvent =
  | { name: "client.connected"; time: string; clientId: string; userId: string | null }
  | { name: "client.disconnected"; time: string; clientId: string; userId: string | null; code: number; reason: string }
  | { name: "room.occupied" | "room.vacated"; time: string; room: string }
  | { name: "member.added" | "member.removed"; time: string; room: string; userId: string | null; clientId?: string };

/** The JSON body of one request. `id` is also the `Switchboard-Webhook-Id` header. */
export interface WebhookBatch {
  id: string;
  time: string;
  events: WebhookEvent[];
}

/** What `GET /api/webhooks` shows per receiver. `failed` counts batches dropped after the retry window or by overflow. */
export interface ReceiverStatus {
  url: string;
  delivered: number;
  failed: number;
  pending: number;
  lastError: string | null;
  lastSuccessAt: string | null;
}

export type WebhookBody = string | Uint8Array | ArrayBuffer;

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const encoder = new TextEncoder();

function bytesOf(body: WebhookBody): Uint8Array {
  if (typeof body === "string") return encoder.encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** Compares every byte whatever differs first, so the time taken says nothing about the secret MAC. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** `"<t>."` followed by the raw body bytes: what the signature covers. */
function signedBytes(t: string, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${t}.`);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The `Switchboard-Signature` value for `body` signed at `timeS` (unix seconds). */
export async function signWebhook(secret: string, body: WebhookBody, timeS = Math.floor(Date.now() / 1000)): Promise<string> {
  const t = String(timeS);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), signedBytes(t, bytesOf(body))));
  return `t=${t},v1=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * True when `Switchboard-Signature` in `headers` (a `Headers` object or a plain record, any
 * case) is a valid HMAC of `rawBody` with `secret`, made at most `toleranceS` seconds from now
 * (either side). Any `v1=` entry may match (several appear while a secret is rotated).
 * Never throws on malformed input: it answers false.
 */
export async function verifyWebhook(secret: string, headers: WebhookHeaders, rawBody: WebhookBody, toleranceS = 300): Promise<boolean> {
  const header = headerValue(headers, WEBHOOK_SIGNATURE_HEADER);
  if (!header || !secret) return false;
  const parts = header.split(",").map((p) => p.trim());
  const t = parts.find((p) => p.startsWith("t="))?.slice(2);
  if (!t || !/^\d{1,12}$/.test(t)) return false;
  if (Math.abs(Date.now() / 1000 - Number(t)) > toleranceS) return false;
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), signedBytes(t, bytesOf(rawBody))));
  for (const part of parts) {
    if (!part.startsWith("v1=")) continue;
    const given = hexToBytes(part.slice(3));
    if (given && constantTimeEqual(given, expected)) return true;
  }
  return false;
}
