/**
 * REST API fuzzing against a real server (SPEC §7, §11, issue 9): random methods, paths (every
 * route of API_ROUTES with mutated parameters, traversal through /admin/..), query strings,
 * headers (odd and huge Content-Type, malformed Authorization) and bodies (wrong types in every
 * field, truncated, deep, huge, prototype keys, over 1 MiB). Never a 5xx; every error is the
 * documented `{"error":{"code","message"}}` with the documented status (400 naming the field,
 * 401, 403, 404, 413); and a sentinel client keeps receiving its stream. Seeded (FUZZ_SEED).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { API_ROUTES } from "../../server/api/openapi.ts";
import { EmitBatchSchema, EmitSchema } from "../../server/api/schemas.ts";
import { ADMIN_TOKEN, EMIT_TOKEN, startServer, VIEWER_TOKEN, type TestServer } from "../helpers/server.ts";
import { Sentinel } from "../helpers/sentinel.ts";
import type { TestClient } from "../helpers/ws-client.ts";
import { randomValue, wireText } from "./frames.ts";
import { fuzz, type Rng } from "./prng.ts";

const BUDGET_MS = 4000;
const MIB = 1024 * 1024;

let s: TestServer;
let sentinel: Sentinel;
let victim: TestClient;

beforeAll(async () => {
  s = await startServer({ allowedRooms: ["*"] });
  const client = await s.client({ sub: "sentinel" });
  await client.request("join", { rooms: ["stream"] });
  sentinel = new Sentinel(client, (event, data) => s.sb.toRoom("stream", event, data)).start();
  victim = await s.client({ sub: "victim" });
});

afterAll(() => s?.stop());

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
const PARAM_VALUES = (rng: Rng) => [
  victim.id, "", "%00", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%ff%fe", "ws:room:x", "__proto__", "constructor", "x".repeat(rng.range(200, 3000)), encodeURIComponent(wireText(rng.anyText(8))), rng.string(8),
];

function randomPath(rng: Rng, route: (typeof API_ROUTES)[number]): string {
  let path = "/api" + route.path.replace(/:\w+/g, () => rng.pick(PARAM_VALUES(rng)));
  if (rng.bool(0.15)) path = rng.pick(["/metrics", "/admin/", "/admin", "/admin/index.html", "/admin/assets", "/admin/config.json", "/api", "/api/", "/", "/ws", "/API/stats", "/api/stats/", "//api/stats", "/admin/%2e%2e/api/stats", "/admin/..%2f..%2fpackage.json", `/${rng.string(rng.int(30))}`]);
  if (rng.bool(0.3)) path += "?" + randomQuery(rng);
  return path;
}

function randomQuery(rng: Rng): string {
  const keys = ["limit", "cursor", "room", "userId", "instance", "encrypted", "q", "dryRun", "token", "access_token", rng.string(5), "__proto__", "constructor[prototype][x]"];
  const values = () => rng.pick(["0", "-1", "1e309", "NaN", "501", "abc", "true", "maybe", "", "%zz", "%00", "x".repeat(rng.range(100, 5000)), ADMIN_TOKEN, encodeURIComponent(wireText(rng.anyText(10)))]);
  return Array.from({ length: rng.range(1, 5) }, () => `${rng.pick(keys)}=${values()}`).join("&");
}

function randomAuthorization(rng: Rng): string | undefined {
  if (rng.bool(0.4)) return `Bearer ${ADMIN_TOKEN}`;
  return rng.pick([undefined, `Bearer ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}`, `Bearer ${VIEWER_TOKEN}`, `Bearer ${EMIT_TOKEN}`, "Bearer", "Bearer ", `Basic ${btoa("admin:admin")}`, `bearer  ${ADMIN_TOKEN} `, `Bearer ${ADMIN_TOKEN}x`, `Bearer ${"A".repeat(rng.range(9000, 20000))}`, `Bearer ${rng.string(30)}`, `Token ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`]);
}

const CONTENT_TYPES = (rng: Rng) => [undefined, "application/json", "application/json; charset=utf-16", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "application/json" + ";x=y".repeat(rng.range(100, 1000)), rng.anyText(20).replace(/[^\x20-\x7e]/g, "x")];

/** A body shaped like an emit with a random (often wrong) value in each field. */
function emitLike(rng: Rng): unknown {
  const to = rng.pick([{ broadcast: true }, { room: "fz-room" }, { rooms: ["fz-a", "fz-b"] }, { user: "victim" }, { client: victim.id }, randomValue(rng), { room: randomValue(rng) }, { rooms: Array.from({ length: rng.pick([0, 1001]) }, () => "r") }, { broadcast: true, room: "x" }]);
  const body: Record<string, unknown> = { to, event: rng.pick(["fz-event", "", "connected", "ack", "x".repeat(300), randomValue(rng)]), data: randomValue(rng) };
  if (rng.bool(0.3)) body.exclude = rng.pick([[victim.id], "x", Array.from({ length: 10_001 }, () => "x"), [randomValue(rng)]]);
  if (rng.bool(0.2)) body[rng.pick(["__proto__", "constructor", "extra"])] = { polluted: true };
  return rng.bool(0.15) ? { messages: rng.pick([[body], [], body, Array.from({ length: 101 }, () => body)]) } : body;
}

function randomBody(rng: Rng): string | Uint8Array {
  const kind = rng.int(10);
  if (kind < 4) return JSON.stringify(emitLike(rng));
  if (kind < 5) return JSON.stringify(emitLike(rng)).slice(0, rng.int(60));
  if (kind < 6) return JSON.stringify(randomValue(rng));
  if (kind < 7) return `{"to":{"room":"fz"},"event":"e","data":${"[".repeat(rng.range(100, 50_000))}${"]".repeat(rng.range(0, 50_000))}}`;
  if (kind < 8) return rng.bytes(rng.int(200));
  if (kind < 9) return JSON.stringify({ rooms: rng.pick([["fz-a"], [1], "x", Array.from({ length: 101 }, () => "r"), ["__proto__"]]) });
  return `{"to":{"broadcast":true},"event":"big","data":"${"x".repeat(MIB + rng.int(1000))}"}`;
}

/** Mostly the route's own method (so that requests get past routing to validation), sometimes any. */
function randomRequest(rng: Rng): Req {
  const route = rng.pick(API_ROUTES);
  const method = rng.bool(0.75) ? route.method.toUpperCase() : rng.pick(METHODS);
  const headers: Record<string, string> = {};
  const auth = randomAuthorization(rng);
  if (auth !== undefined) headers.authorization = auth;
  const type = rng.bool(0.5) ? "application/json" : rng.pick(CONTENT_TYPES(rng));
  if (type !== undefined) headers["content-type"] = type;
  if (rng.bool(0.1)) headers.origin = rng.pick(["https://evil.example", "null", "not a url"]);
  const withBody = !["GET", "HEAD"].includes(method) && rng.bool(0.8);
  return { method, path: randomPath(rng, route), headers, body: withBody ? randomBody(rng) : undefined };
}

/** What the documented answer must look like, as far as the request alone decides it. */
function checkResponse(req: Req, status: number, text: string, label: string): void {
  expect(status, label).toBeLessThan(500);
  expect(text, label).not.toContain('"dependencies"');
  const underApi = req.path.startsWith("/api/") || req.path === "/metrics" || req.path.startsWith("/metrics?");
  // Headers beyond the runtime's limit are refused before any handler runs (431, empty body).
  if (status === 431) return void expect(JSON.stringify(req.headers).length, label).toBeGreaterThan(8000);
  if (status >= 400 && req.method !== "HEAD" && !req.path.startsWith("/admin")) {
    const body = jsonOf(text, label);
    expect(Object.keys(body), label).toEqual(["error"]);
    expect(typeof body.error.code, label).toBe("string");
    expect(typeof body.error.message, label).toBe("string");
  }
  const size = req.body === undefined ? 0 : typeof req.body === "string" ? Buffer.byteLength(req.body) : req.body.length;
  if (req.path.startsWith("/api/") && req.method !== "OPTIONS" && size > MIB && status !== 404) expect(status, label).toBe(413);
  const open = /^\/api\/(health|ready|openapi\.json)\/?(\?|$)/.test(req.path);
  if (underApi && !open && status < 300 && req.method !== "OPTIONS") expect(validToken(req.headers.authorization), label).toBe(true);
}

function jsonOf(text: string, label: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected a JSON error body: ${label}`);
  }
}

/** Whether the Authorization header carries one of the server's tokens in the documented form. */
function validToken(header: string | undefined): boolean {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  return token === ADMIN_TOKEN || token === VIEWER_TOKEN || token === EMIT_TOKEN;
}

/** For an admin-authorised emit with a JSON body: 400 naming the first failing field, or 202. */
function checkEmit(req: Req, status: number, text: string, label: string): void {
  const path = req.path.split("?")[0];
  if (req.method !== "POST" || (path !== "/api/emit" && path !== "/api/emit/batch") || req.headers.authorization !== `Bearer ${ADMIN_TOKEN}`) return;
  if (req.path.includes("dryRun=") && !/dryRun=(true|false)(&|$)/.test(req.path)) return;
  if (typeof req.body !== "string" || Buffer.byteLength(req.body) > MIB) return;
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch {
    return void expect({ status, code: jsonOf(text, label).error?.code }, label).toEqual({ status: 400, code: "invalid_json" });
  }
  const parsed = (path === "/api/emit" ? EmitSchema : EmitBatchSchema).safeParse(value);
  if (parsed.success) return void expect([200, 202], label).toContain(status);
  const issue = parsed.error.issues[0]!;
  const body = jsonOf(text, label);
  expect({ status, code: body.error?.code, field: body.error.field }, label).toEqual({ status: 400, code: "invalid_request", field: issue.path.length > 0 ? issue.path.join(".") : undefined });
}

async function send(req: Req): Promise<{ status: number; text: string }> {
  const body = req.body instanceof Uint8Array ? new Blob([req.body as Uint8Array<ArrayBuffer>]) : req.body;
  const res = await fetch(s.http + req.path, { method: req.method, headers: req.headers, body });
  return { status: res.status, text: await res.text() };
}

/** One raw HTTP/1.1 request line, exactly as written (fetch would normalise `..` segments). */
function rawRequest(path: string, headers = ""): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(s.port, "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`));
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve({ status: Number(data.slice(9, 12)), text: data.slice(data.indexOf("\r\n\r\n") + 4) }));
  });
}

describe("REST fuzz", () => {
  test("random methods, paths, queries, headers and bodies: never a 5xx, always the documented error", () =>
    fuzz("rest", async (rng) => {
      const deadline = Date.now() + BUDGET_MS;
      let n = 0;
      for (; n < 800 && Date.now() < deadline; n++) {
        const req = randomRequest(rng);
        const { status, text } = await send(req);
        const label = `#${n} ${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 200)} ${String(req.body ?? "").slice(0, 200)} -> ${status} ${text.slice(0, 300)}`;
        checkResponse(req, status, text, label);
        checkEmit(req, status, text, label);
      }
      expect(n).toBeGreaterThan(50);
    }), 20_000);

  test("path traversal through /admin/.. and encoded dots never leaves the dashboard folder or skips authentication", async () => {
    const paths = [
      "/admin/../package.json", "/admin/../../package.json", "/admin/%2e%2e/%2e%2e/package.json", "/admin/..%2f..%2fpackage.json", "/admin/..\\..\\package.json",
      "/admin/../api/stats", "/admin/%2e%2e/api/stats", "/admin/./../api/clients", "/admin/assets/../../../package.json", "/admin/%252e%252e/package.json", "/admin/..;/api/stats",
      "/api/../metrics", "/api/%2e%2e/metrics", "/admin/assets", "/admin/assets/", "//admin/../api/stats",
    ];
    for (const path of paths) {
      const { status, text } = await rawRequest(path);
      expect([301, 308, 400, 401, 404], `${path} -> ${status} ${text.slice(0, 200)}`).toContain(status);
      expect(text).not.toContain('"dependencies"');
    }
  });

  test("the sentinel received every message of its stream, once and in order", async () => {
    expect(sentinel.ticksSent).toBeGreaterThan(20);
    await sentinel.stopAndCheck();
    expect(victim.isClosed || victim.frames.every((f) => f.event !== "error")).toBe(true);
  });
});
