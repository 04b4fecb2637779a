/**
 * @module server/auth/jwt
 * Token verification with jose. One verifier per server: an HS* secret, a PEM public key, or a
 * remote JWKS, with an algorithm allow-list (`alg: none` can never be in it, and a key of one
 * family never verifies another family's algorithm, which closes HS/RS confusion), optional
 * issuer and audience checks, and a size cap applied before any parsing.
 *
 * Claims: `sub` → userId, `rooms` (string[]) → room patterns the client may join, `meta`
 * (object) → metadata, `exp` → session expiry (4009), `role` → admin-side role.
 */
import { PRESENCE_INFO_MAX_BYTES } from "../../shared/presence.ts";
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, SignJWT, UnsecuredJWT, type JWTPayload } from "jose";
import type { AuthResult } from "../core/types.ts";

/** Longer tokens are refused unread: no legitimate client token is this large. */
export const MAX_TOKEN_LENGTH = 8192;

export interface JwtSettings {
  jwtSecret?: string;
  jwtPublicKey?: string;
  jwtJwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  jwtAlgorithms: string[];
}

type VerifyKey = Uint8Array | KeyObject | ReturnType<typeof createRemoteJWKSet>;

const HMAC_HASHES: Record<string, string> = { HS256: "sha256", HS384: "sha384", HS512: "sha512" };
const NONE_HEADER = Buffer.from('{"alg":"none"}').toString("base64url");
const SIGNED_PART = /^[\w-]+\.[\w-]+$/;

/**
 * The HS* fast path: the signature is checked synchronously with node:crypto, the claims by
 * jose's own validation (`UnsecuredJWT.decode` of the same payload, with the same issuer and
 * audience options), so what it accepts is what `jwtVerify` accepts. Anything else — another
 * algorithm, a `crit` or `b64` header, a signature that differs by a byte, a claim that fails —
 * answers undefined and the caller runs `jwtVerify` for the exact verdict and error.
 * Why: jose's WebCrypto HMAC cost about 20 µs per connection, more than a whole bare WebSocket
 * connect (bench/scenarios/storm.ts).
 */
function verifyHmacFast(token: string, secret: KeyObject, s: JwtSettings): JWTPayload | undefined {
  const first = token.indexOf(".");
  const last = token.lastIndexOf(".");
  const signed = token.slice(0, last);
  if (first <= 0 || !SIGNED_PART.test(signed)) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, first), "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof header !== "object" || header === null || Array.isArray(header) || "crit" in header || "b64" in header) return undefined;
  const alg = (header as { alg?: unknown }).alg;
  const hash = typeof alg === "string" && s.jwtAlgorithms.includes(alg) ? HMAC_HASHES[alg] : undefined;
  if (!hash) return undefined;
  const expected = Buffer.from(createHmac(hash, secret).update(signed).digest("base64url"));
  const given = Buffer.from(token.slice(last + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return UnsecuredJWT.decode(`${NONE_HEADER}.${token.slice(first + 1, last)}.`, { issuer: s.jwtIssuer, audience: s.jwtAudience }).payload;
  } catch {
    return undefined;
  }
}

export class JwtVerifier {
  /** The HS* secret as a key object for the fast path (undefined for public keys and JWKS). */
  private readonly hmacKey?: KeyObject;

  private constructor(
    private readonly key: VerifyKey,
    private readonly settings: JwtSettings,
  ) {
    if (key instanceof Uint8Array) this.hmacKey = createSecretKey(key);
  }

  /** Undefined when no key is configured. Throws on a PEM that is not a public key. */
  static create(settings: JwtSettings): JwtVerifier | undefined {
    if (settings.jwtSecret) return new JwtVerifier(new TextEncoder().encode(settings.jwtSecret), settings);
    if (settings.jwtPublicKey) return new JwtVerifier(createPublicKey(settings.jwtPublicKey), settings);
    if (settings.jwtJwksUrl) return new JwtVerifier(createRemoteJWKSet(new URL(settings.jwtJwksUrl)), settings);
    return undefined;
  }

  /** The verified payload; rejects on any failure (signature, algorithm, time, issuer, audience, size). */
  async verify(token: string): Promise<JWTPayload> {
    if (token.length > MAX_TOKEN_LENGTH) throw new Error("token too large");
    const fast = this.hmacKey ? verifyHmacFast(token, this.hmacKey, this.settings) : undefined;
    if (fast) return fast;
    const options = {
      algorithms: this.settings.jwtAlgorithms,
      issuer: this.settings.jwtIssuer,
      audience: this.settings.jwtAudience,
    };
    const key = this.key;
    const { payload } = typeof key === "function" ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
    return payload;
  }

  /** Client credential from a token, or null when it does not verify. */
  async authenticate(token: unknown): Promise<AuthResult | null> {
    if (typeof token !== "string" || token.length === 0) return null;
    try {
      return claimsToAuth(await this.verify(token));
    } catch {
      return null;
    }
  }
}

/**
 * The `info` claim as presence info (SPEC §12): a JSON object of at most 1 KiB (UTF-8 of its
 * JSON text). Anything else (an array, a string, a larger object) is ignored, and the client is
 * admitted without info.
 */
export function presenceInfo(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const text = JSON.stringify(value);
  return new TextEncoder().encode(text).length <= PRESENCE_INFO_MAX_BYTES ? (value as Record<string, unknown>) : undefined;
}

export function claimsToAuth(payload: JWTPayload): AuthResult {
  const rooms = Array.isArray(payload.rooms) ? payload.rooms.filter((r): r is string => typeof r === "string") : undefined;
  const meta = payload.meta;
  return {
    userId: typeof payload.sub === "string" && payload.sub.length > 0 ? payload.sub : undefined,
    metadata: typeof meta === "object" && meta !== null && !Array.isArray(meta) ? meta : undefined,
    rooms,
    expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : undefined,
    info: presenceInfo(payload.info),
  };
}

/** Signs an HS256 token (development credentials, tests, examples). */
export function signToken(secret: string, claims: Record<string, unknown>, expiresIn: string | number = "24h"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}
