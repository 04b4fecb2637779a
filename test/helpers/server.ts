/**
 * Starts a real Switchboard on an ephemeral port for a test, with a known secret and admin
 * tokens, and mints client tokens for it.
 */
import { createSwitchboard, type Switchboard } from "../../server/switchboard.ts";
import type { SwitchboardOptions } from "../../server/config/options.ts";
import { signToken } from "../../server/auth/jwt.ts";
import { TestClient } from "./ws-client.ts";

export const TEST_SECRET = "test-secret-0123456789-abcdefghij";
export const ADMIN_TOKEN = "admin-token-0123456789abcdef";
export const VIEWER_TOKEN = "viewer-token-0123456789abcdef";
export const EMIT_TOKEN = "emit-token-0123456789abcdef";

export interface TestServer {
  sb: Switchboard;
  port: number;
  http: string;
  ws: string;
  token(claims?: Record<string, unknown>, expiresIn?: string | number): Promise<string>;
  client(claims?: Record<string, unknown>, extra?: Record<string, unknown>): Promise<TestClient>;
  stop(): Promise<void>;
}

export async function startServer(options: SwitchboardOptions = {}): Promise<TestServer> {
  const sb = createSwitchboard({
    jwtSecret: TEST_SECRET,
    adminToken: ADMIN_TOKEN,
    viewerToken: VIEWER_TOKEN,
    emitToken: EMIT_TOKEN,
    logLevel: "error",
    port: 0,
    host: "127.0.0.1",
    ...options,
  });
  const server = await sb.listen();
  const port = server.port!;
  const token = (claims: Record<string, unknown> = { sub: "u1" }, expiresIn: string | number = "1h") => signToken(TEST_SECRET, claims, expiresIn);
  return {
    sb,
    port,
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}${sb.options.path}`,
    token,
    client: async (claims, extra) => TestClient.authenticated(`ws://127.0.0.1:${port}${sb.options.path}`, await token(claims), extra),
    stop: () => sb.shutdown(),
  };
}

export async function api(server: TestServer, method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.http}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed, headers: res.headers };
}
