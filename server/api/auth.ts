/**
 * @module server/api/auth
 * Bearer-token middleware for the REST API: 401 without a valid token, 403 when the role lacks
 * the permission. The resolved role is stored on the context for audit logs.
 */
import type { MiddlewareHandler } from "hono";
import { bearerToken, roleAllows, type Permission, type Role, type RoleResolver } from "../auth/roles.ts";
import { ApiError } from "./errors.ts";

export interface AuthVariables {
  role: Role;
  subject: string;
  /** Which kind of token the caller used; with `subject` it names the caller (idempotency scope). */
  via: "static" | "jwt";
}

export function requirePermission(roles: RoleResolver, permission: Permission): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header("authorization"));
    if (!token) throw new ApiError(401, "unauthorized", "missing bearer token");
    const who = await roles.resolve(token);
    if (!who) throw new ApiError(401, "unauthorized", "invalid or expired token");
    if (!roleAllows(who.role, permission)) throw new ApiError(403, "forbidden", `the ${who.role} role may not ${permission}`);
    c.set("role", who.role);
    c.set("subject", who.subject);
    c.set("via", who.via);
    await next();
  };
}
