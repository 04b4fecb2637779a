/**
 * deploy/nginx.conf, as shipped, in front of two real instances on one real Redis: the real
 * Debian nginx binary in the foreground with its own prefix, pid and temp paths under a temp
 * dir, on free loopback ports, with a self-signed certificate made here. Only the values the
 * file's header names as the ones to change are substituted (each must occur exactly once, so
 * the test cannot silently drift from the file).
 *
 * Balancing: the file uses least_conn, so clients connected from one address normally spread over
 * both instances; should they all land on one, the test connects one more directly to the other,
 * then asserts that one REST emit through nginx reaches all of them (one share through Redis).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createClient, type SwitchboardClient } from "../../shared/client/index.ts";
import { signToken } from "../../server/auth/jwt.ts";
import { prepareInstances, ROOT, startInstance, type Instance } from "../helpers/instances.ts";
import { freePort, startRedis, type TestRedis } from "../helpers/redis.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "../helpers/server.ts";
import { makeCert, tempDir, trustingWebSocket, until, type TestCert } from "./helpers.ts";

const CONF = readFileSync(join(ROOT, "deploy", "nginx.conf"), "utf8");
const NGINX = Bun.which("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].find((p) => existsSync(p));
if (!NGINX) console.warn("test/deploy/nginx.test.ts: SKIPPED: no nginx binary (apt-get install nginx); .ci/run installs it");

/**
 * The one documented way the test adapts the file: the literal values its header lists, replaced
 * on the directive lines (comments are left as they are).
 */
function substitute(conf: string, values: Record<string, string>): string {
  const lines = conf.split("\n");
  for (const [from, to] of Object.entries(values)) {
    const hits = lines.flatMap((line, i) => (!line.trimStart().startsWith("#") && line.includes(from) ? [i] : []));
    if (hits.length !== 1) throw new Error(`deploy/nginx.conf: expected ${JSON.stringify(from)} on exactly one directive line, found ${hits.length}`);
    lines[hits[0]!] = lines[hits[0]!]!.replace(from, to);
  }
  return lines.join("\n");
}

function mainConf(dir: string): string {
  const temp = (name: string) => join(dir, "temp", name);
  for (const name of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(temp(name), { recursive: true });
  return [
    "daemon off;",
    "worker_processes 1;",
    // Workers run as the invoking user; as root nginx would switch to nobody, who cannot write the temp dir.
    process.getuid?.() === 0 ? "user root;" : "",
    `pid ${join(dir, "nginx.pid")};`,
    `error_log ${join(dir, "error.log")} info;`,
    "events { worker_connections 1024; }",
    "http {",
    `  access_log ${join(dir, "access.log")};`,
    `  client_body_temp_path ${temp("client_body")};`,
    `  proxy_temp_path ${temp("proxy")};`,
    `  fastcgi_temp_path ${temp("fastcgi")};`,
    `  uwsgi_temp_path ${temp("uwsgi")};`,
    `  scgi_temp_path ${temp("scgi")};`,
    `  include ${join(dir, "switchboard.conf")};`,
    "}",
  ].join("\n");
}

interface Proxy {
  proc: Subprocess;
  port: number;
  stderr: Promise<string>;
}

async function startNginx(dir: string, cert: TestCert, a: Instance, b: Instance): Promise<Proxy> {
  const [port, plain] = [await freePort(), await freePort()];
  writeFileSync(join(dir, "switchboard.conf"), substitute(CONF, {
    "server 127.0.0.1:3001": `server 127.0.0.1:${a.port}`,
    "server 127.0.0.1:3002": `server 127.0.0.1:${b.port}`,
    "listen 443 ssl http2;": `listen 127.0.0.1:${port} ssl http2;`,
    "listen 80;": `listen 127.0.0.1:${plain};`,
    "/etc/ssl/certs/switchboard.crt": cert.certFile,
    "/etc/ssl/private/switchboard.key": cert.keyFile,
  }));
  writeFileSync(join(dir, "nginx.conf"), mainConf(dir));
  const args = [NGINX!, "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")];
  const check = Bun.spawnSync([...args, "-t"], { stderr: "pipe" });
  if (check.exitCode !== 0) throw new Error(`nginx -t failed: ${check.stderr.toString()}`);
  const proc = Bun.spawn(args, { stdout: "ignore", stderr: "pipe" });
  const stderr = new Response(proc.stderr as ReadableStream<Uint8Array>).text();
  await until(async () => {
    if (proc.exitCode !== null) throw new Error(`nginx exited ${proc.exitCode}: ${await stderr} ${readFileSync(join(dir, "error.log"), "utf8").slice(-500)}`);
    return fetch(`https://localhost:${port}/api/health`, { tls: { ca: cert.pem } } as RequestInit).then((r) => r.ok, () => false);
  }, 10_000, "nginx to proxy /api/health");
  return { proc, port, stderr };
}

describe.skipIf(!NGINX)("deploy/nginx.conf with the real nginx in front of two instances on Redis", () => {
  const dir = tempDir("nginx");
  const cert = makeCert(dir, "proxy");
  let redis: TestRedis;
  let a: Instance;
  let b: Instance;
  let proxy: Proxy;
  const clients: SwitchboardClient[] = [];
  const base = () => `https://localhost:${proxy.port}`;

  beforeAll(async () => {
    await prepareInstances();
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, TRUST_PROXY: "loopback" };
    [a, b] = await Promise.all([startInstance("nginx-a", env), startInstance("nginx-b", env)]);
    await Promise.all([a, b].map((i) => i.waitForLog((l) => l.msg === "redis broker connected", 5000, "broker connected")));
    proxy = await startNginx(dir, cert, a, b);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    proxy?.proc.kill("SIGTERM");
    await proxy?.proc.exited;
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  async function sdk(sub: string, got: unknown[]): Promise<SwitchboardClient> {
    const client = createClient({ url: `wss://localhost:${proxy.port}/ws`, token: await signToken(TEST_SECRET, { sub }, "1h"), WebSocket: trustingWebSocket(cert.pem), reconnect: false });
    clients.push(client);
    client.on("news", (data) => got.push(data));
    await client.connect();
    await client.join("proxied");
    return client;
  }

  async function proxied(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${base()}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers }, tls: { ca: cert.pem } } as RequestInit);
  }

  test("the SDK over wss:// through nginx, and a REST emit through nginx reaches clients on both instances", async () => {
    const inboxes = [[], [], [], []] as unknown[][];
    for (const [i, inbox] of inboxes.entries()) await sdk(`proxied-${i}`, inbox);
    // The cluster-wide listing includes the other instance's clients once its presence is published.
    const listed = async () => ((await (await proxied("/api/clients?room=proxied&limit=100")).json()) as { items: Array<{ instanceId: string }> }).items;
    await until(async () => (await listed()).length === 4, 10_000, "four clients listed");
    // least_conn normally spreads these four over both instances; should nginx have put them all
    // on one (its counts include connections still closing), one more client connects directly
    // to the other, so that the emit below must cross Redis either way.
    const used = new Set((await listed()).map((c) => c.instanceId));
    const direct: unknown[] = [];
    if (used.size < 2) {
      const other = used.has("nginx-a") ? b : a;
      const client = createClient({ url: other.ws, token: await signToken(TEST_SECRET, { sub: "direct" }, "1h"), reconnect: false });
      clients.push(client);
      client.on("news", (data) => direct.push(data));
      await client.connect();
      await client.join("proxied");
      inboxes.push(direct);
    }
    const total = inboxes.length;
    await until(async () => new Set((await listed()).map((c) => c.instanceId)).size === 2, 10_000, "clients on both instances");

    // Other instances' room sizes reach the count through their published presence (a moment later).
    const emit = (query = "") => proxied(`/api/emit${query}`, { method: "POST", body: JSON.stringify({ to: { room: "proxied" }, event: "news", data: { via: "nginx" } }) });
    await until(async () => ((await (await emit("?dryRun=true")).json()) as { recipients: number }).recipients === total, 10_000, `a dry run counting ${total}`);
    const res = await emit();
    expect(res.status).toBe(202);
    // Not asserted: the answer's `recipients` was seen one short of a dry run just before it (the
    // other instance's share comes from its presence records); delivery is what is checked here.
    await until(() => inboxes.every((inbox) => inbox.length === 1), 5000, "the emit on every client");
    for (const inbox of inboxes) expect(inbox[0]).toEqual({ via: "nginx" });
  });

  test("the dashboard's live admin channel works through the proxy from the dashboard's own origin", async () => {
    const page = await fetch(`${base()}/admin/`, { tls: { ca: cert.pem } } as RequestInit);
    expect(page.status).toBe(200);
    const ws = new WebSocket(`wss://localhost:${proxy.port}/admin/ws`, { headers: { origin: base() }, tls: { ca: cert.pem } } as unknown as string[]);
    const frames: Array<{ event: string; data: any }> = [];
    ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
    await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
    ws.send(JSON.stringify({ event: "authenticate", data: { token: ADMIN_TOKEN } }));
    await until(() => frames.some((f) => f.event === "snapshot"), 5000, "admin snapshot through nginx");
    const snapshot = frames.find((f) => f.event === "snapshot")!;
    expect(snapshot.data.role).toBe("admin");
    expect(snapshot.data.instances.map((i: { id: string }) => i.id).sort()).toEqual(["nginx-a", "nginx-b"]);
    ws.close();
  });

  test("plain HTTP is redirected to HTTPS", async () => {
    const plain = /listen 127\.0\.0\.1:(\d+);/.exec(readFileSync(join(dir, "switchboard.conf"), "utf8"))![1];
    const res = await fetch(`http://127.0.0.1:${plain}/admin/`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toStartWith("https://");
  });

  // enabled when the SSE transport (SPEC §15) lands
  test.skip("an SSE stream through nginx is not buffered: each event arrives before the next is emitted", async () => {
    // POST /sse/ticket through nginx, GET /sse?ticket=… through nginx, then emit one event at a
    // time over REST and assert each `event:` block is read from the stream before the next emit.
  });
});

describe("deploy/nginx.conf as written", () => {
  test("WebSocket and SSE timeouts sit above HEARTBEAT_TIMEOUT_MS (90 s) and SSE is unbuffered", () => {
    const ws = /location ~ \^\/\(ws\|admin\/ws\)\$ \{([^}]*)\}/.exec(CONF)?.[1] ?? "";
    const sse = /location = \/sse \{([^}]*)\}/.exec(CONF)?.[1] ?? "";
    const seconds = (block: string, directive: string) => Number(new RegExp(`${directive} (\\d+)s;`).exec(block)?.[1] ?? 0);
    expect(seconds(ws, "proxy_read_timeout")).toBeGreaterThan(90);
    expect(seconds(ws, "proxy_send_timeout")).toBeGreaterThan(90);
    expect(ws).toContain("proxy_set_header Upgrade    $http_upgrade;");
    expect(seconds(sse, "proxy_read_timeout")).toBeGreaterThan(90);
    expect(sse).toContain("proxy_buffering off;");
    expect(sse).toContain("proxy_cache off;");
  });
});
