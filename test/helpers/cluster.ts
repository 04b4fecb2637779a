/**
 * Helpers for cluster-view tests against running instances: REST calls with a token, an admin
 * channel socket, and `eventually` for server state that is published asynchronously (presence
 * reaches Redis within a flush interval, so there is no event to wait on; it polls with a
 * deadline instead of sleeping a fixed time).
 */
import { signToken } from "../../server/auth/jwt.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "./server.ts";
import { TestClient } from "./ws-client.ts";

export async function call(instance: { http: string }, method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${instance.http}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

/** GET that must answer 200; returns the body. */
export async function get(instance: { http: string }, path: string): Promise<any> {
  const res = await call(instance, "GET", path);
  if (res.status !== 200) throw new Error(`GET ${path} on ${instance.http}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Retries `check` (which throws, e.g. a failed expect) until it passes or `timeoutMs` ends; rethrows the last failure. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await Bun.sleep(intervalMs);
    }
  }
}

/** An authenticated admin channel socket; resolves after the snapshot. */
export async function adminSocket(instance: { port: number }, token = ADMIN_TOKEN): Promise<TestClient> {
  const socket = await TestClient.connect(`ws://127.0.0.1:${instance.port}/admin/ws`);
  socket.send({ event: "authenticate", data: { token } });
  await socket.waitForEvent("snapshot");
  return socket;
}

/** A client with extra authenticate data (for example a `publicKey` for an encrypted session). */
export async function clientWith(instance: { ws: string }, claims: Record<string, unknown>, extra: Record<string, unknown>): Promise<TestClient> {
  return TestClient.authenticated(instance.ws, await signToken(TEST_SECRET, claims, "1h"), extra);
}

/** Sorted ids. */
export function sortedIds(items: Array<{ id: string }>): string[] {
  return items.map((c) => c.id).sort();
}
