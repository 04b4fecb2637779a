/**
 * @module server/auth/roles
 * Admin-side authorisation: a bearer token is either one of the static tokens (compared in
 * constant time) or a JWT whose `role` claim is `admin`, `viewer` or `emitter`.
 * `viewer` reads everything, `emitter` may only emit, `admin` may do everything.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { JwtVerifier } from "./jwt.ts";

export type Role = "admin" | "viewer" | "emitter";

const ROLES: ReadonlySet<string> = new Set(["admin", "viewer", "emitter"]);

/** What each role may do: `read` (viewer endpoints), `emit`, `manage` (admin endpoints). */
export type Permission = "read" | "emit" | "manage";

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(["read", "emit", "manage"]),
  viewer: new Set(["read"]),
  emitter: new Set(["emit"]),
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Constant-time equality for secrets of any length (both sides hashed first). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export interface StaticTokens {
  adminToken?: string;
  viewerToken?: string;
  emitToken?: string;
}

export class RoleResolver {
  private readonly statics: Array<[string, Role]>;

  constructor(tokens: StaticTokens, private readonly verifier?: JwtVerifier) {
    this.statics = [];
    if (tokens.adminToken) this.statics.push([tokens.adminToken, "admin"]);
    if (tokens.viewerToken) this.statics.push([tokens.viewerToken, "viewer"]);
    if (tokens.emitToken) this.statics.push([tokens.emitToken, "emitter"]);
  }

  /**
   * The token's role, or undefined when the token is not valid. `via` says which kind of token
   * it was, so that `subject` values of the two kinds (a JWT may carry any `sub`) never mix.
   */
  async resolve(token: string | undefined): Promise<{ role: Role; subject: string; via: "static" | "jwt" } | undefined> {
    if (!token) return undefined;
    let match: Role | undefined;
    // Compare against every static token so timing does not reveal which one matched.
    for (const [secret, role] of this.statics) if (sameSecret(token, secret) && !match) match = role;
    if (match) return { role: match, subject: `static:${match}`, via: "static" };
    if (!this.verifier) return undefined;
    try {
      const payload = await this.verifier.verify(token);
      const role = payload.role;
      if (typeof role !== "string" || !ROLES.has(role)) return undefined;
      return { role: role as Role, subject: typeof payload.sub === "string" ? payload.sub : `jwt:${role}`, via: "jwt" };
    } catch {
      return undefined;
    }
  }
}

/** `Authorization: Bearer <token>` → token. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
