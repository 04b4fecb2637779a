/**
 * No token or secret in the logs (SPEC §11; issue 9). A CLI process with LOG_LEVEL=debug goes
 * through a full scenario — client logins (plain and encrypted), joins, custom events, refresh
 * accepted and refused, WebSocket logins with bad tokens of every kind, REST with each static
 * token and with bad ones, tokens in query strings, admin channel logins good and bad, metrics —
 * then SIGTERM. Every stdout and stderr line is scanned for the JWT secret, the static tokens,
 * and every JWT used (whole, and its signature on its own).
 */
import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { signToken } from "../../server/auth/jwt.ts";
import { generateKeyPair } from "../../shared/crypto.ts";
import { CliProcess } from "../helpers/process.ts";
import { TestClient } from "../helpers/ws-client.ts";

const secret = () => randomBytes(24).toString("base64url");
const SECRETS = { JWT_SECRET: secret(), ADMIN_TOKEN: secret(), VIEWER_TOKEN: secret(), EMIT_TOKEN: secret() };

/** Every JWT the scenario uses, for the scan. */
const jwts: string[] = [];
async function jwt(claims: Record<string, unknown>, ttl: string | number = "1h", key = SECRETS.JWT_SECRET): Promise<string> {
  const token = await signToken(key, claims, ttl);
  jwts.push(token);
  return token;
}

async function wsScenario(ws: string): Promise<void> {
  const alice = await TestClient.authenticated(ws, await jwt({ sub: "alice", rooms: ["logs"] }));
  await alice.request("join", { rooms: ["logs", "not-allowed"] });
  alice.send({ event: "chat", data: { text: "hello" }, id: "c1" });
  alice.send({ event: "heartbeat", id: "h1" });
  expect((await alice.request("refresh", { token: await jwt({ sub: "alice", rooms: ["logs"] }, "2h") })).ok).toBe(true);
  expect((await alice.request("refresh", { token: await jwt({ sub: "alice" }, "1h", secret()) })).ok).toBe(false);
  expect((await alice.request("refresh", { token: await jwt({ sub: "mallory" }) })).ok).toBe(false);
  const encrypted = await TestClient.connect(ws);
  encrypted.send({ event: "authenticate", data: { token: await jwt({ sub: "bob" }), publicKey: (await generateKeyPair()).publicKey } });
  await encrypted.waitForEvent("connected");
  const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from('{"sub":"eve"}').toString("base64url")}.`;
  const hs512 = await new SignJWT({ sub: "eve" }).setProtectedHeader({ alg: "HS512" }).setExpirationTime("1h").sign(new TextEncoder().encode(SECRETS.JWT_SECRET));
  jwts.push(hs512);
  for (const token of [await jwt({ sub: "eve" }, "1h", secret()), await jwt({ sub: "eve" }, Math.floor(Date.now() / 1000) - 60), none, hs512, SECRETS.ADMIN_TOKEN, "x".repeat(9000)]) {
    const c = await TestClient.connect(ws);
    c.send({ event: "authenticate", data: { token } });
    expect((await c.waitClosed()).code).toBe(4003);
  }
  alice.close();
  encrypted.close();
}

async function restScenario(http: string): Promise<void> {
  const call = (path: string, token?: string, body?: unknown) =>
    fetch(http + path, { method: body ? "POST" : "GET", headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const emit = { to: { room: "logs" }, event: "news", data: { a: 1 } };
  expect((await call("/api/emit", SECRETS.ADMIN_TOKEN, emit)).status).toBe(202);
  expect((await call("/api/emit", SECRETS.EMIT_TOKEN, emit)).status).toBe(202);
  expect((await call("/api/emit", await jwt({ role: "emitter" }), emit)).status).toBe(202);
  expect((await call("/api/clients", SECRETS.VIEWER_TOKEN)).status).toBe(200);
  expect((await call("/metrics", SECRETS.VIEWER_TOKEN)).status).toBe(200);
  for (const bad of [`${SECRETS.ADMIN_TOKEN}x`, await jwt({ role: "admin" }, "1h", secret()), SECRETS.JWT_SECRET]) expect((await call("/api/stats", bad)).status).toBe(401);
  expect((await call(`/api/stats?token=${SECRETS.ADMIN_TOKEN}`)).status).toBe(401);
  expect((await call(`/api/nope?token=${SECRETS.VIEWER_TOKEN}`, SECRETS.ADMIN_TOKEN)).status).toBe(404);
  expect((await call("/api/emit", SECRETS.ADMIN_TOKEN, { ...emit, data: SECRETS.ADMIN_TOKEN, to: { room: "x".repeat(300) } })).status).toBe(400);
}

async function adminScenario(http: string): Promise<void> {
  const url = http.replace("http", "ws") + "/admin/ws";
  for (const token of [SECRETS.ADMIN_TOKEN, SECRETS.VIEWER_TOKEN, await jwt({ role: "admin" })]) {
    const a = await TestClient.connect(url);
    a.send({ event: "authenticate", data: { token } });
    await a.waitForEvent("snapshot");
    a.close();
  }
  for (const token of [SECRETS.EMIT_TOKEN, await jwt({ role: "admin" }, "1h", secret()), "guess-0123456789abcdef"]) {
    const a = await TestClient.connect(url);
    a.send({ event: "authenticate", data: { token } });
    expect((await a.waitClosed()).code).toBe(4003);
  }
}

test("a full scenario at LOG_LEVEL=debug logs no secret, no static token and no JWT, on stdout or stderr", async () => {
  const cli = CliProcess.start(["start"], { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "debug", ALLOWED_ROOMS: "logs,chat-*", ...SECRETS });
  try {
    const port = await cli.port(15_000);
    await wsScenario(`ws://127.0.0.1:${port}/ws`);
    await restScenario(`http://127.0.0.1:${port}`);
    await adminScenario(`http://127.0.0.1:${port}`);
    cli.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    await cli.waitForLine((l) => l.includes('"msg":"shut down"'), 3000, "the last log line");
  } finally {
    cli.kill("SIGKILL");
  }
  const lines = [...cli.lines, ...cli.stderr];
  expect(lines.some((l) => l.includes('"level":20'))).toBe(true); // debug lines were written
  const needles = [...Object.entries(SECRETS), ...jwts.flatMap((t, i) => [[`jwt #${i}`, t], [`signature of jwt #${i}`, t.split(".")[2]!]])];
  const leaks = needles.flatMap(([name, value]) => lines.filter((l) => l.includes(value!)).map((l) => `${name}: ${l.slice(0, 200)}`));
  expect(leaks).toEqual([]);
}, 60_000);
