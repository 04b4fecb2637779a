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
import { createPublicKey, type KeyObject } from "node:crypto";
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTPayload } from "jose";
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

export class JwtVerifier {
  private constructor(
    private readonly key: VerifyKey,
    private readonly settings: JwtSettings,
  ) {}

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

export function claimsToAuth(payload: JWTPayload): AuthResult {
  const rooms = Array.isArray(payload.rooms) ? payload.rooms.filter((r): r is string => typeof r === "string") : undefined;
  const meta = payload.meta;
  return {
    userId: typeof payload.sub === "string" && payload.sub.length > 0 ? payload.sub : undefined,
    metadata: typeof meta === "object" && meta !== null && !Array.isArray(meta) ? meta : undefined,
    rooms,
    expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : undefined,
  };
}

/** Signs an HS256 token (development credentials, tests, examples). */
export function signToken(secret: string, claims: Record<string, unknown>, expiresIn: string | number = "24h"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}
