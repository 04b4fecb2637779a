/**
 * The CLI as a user runs it (issue 20 §2–3): `npm start -- …`, `npx switchboard …` and the
 * package's bin from another directory, as spawned processes against a real server. Help for
 * every command; unknown flags exit 2 with one line naming the flag; `token` refuses what would
 * make a useless or weak token; `emit --url` reaches a real WebSocket client and prints the
 * recipients of the REST answer; development credentials survive a restart, so a token and an
 * SDK client from before the restart keep working; a JWT key without static tokens warns.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "../../shared/client/index.ts";
import { PROJECT_ROOT, SIGNAL_ADMIN, SIGNAL_SECRET, connectFleet, fleetTokens, startThroughNpm, waitForLine, within } from "../helpers/signal-drain.ts";

const BIN = join(PROJECT_ROOT, "bin", "switchboard.mjs");
const SECRET_32 = "cli-user-secret-0123456789abcdef-xyz";
const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (at most 60 s) with a minimal environment plus `env`. */
function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = PROJECT_ROOT): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

const npx = (args: string[], env?: Record<string, string>) => run("npx", ["--no-install", "switchboard", ...args], env);
const lines = (text: string) => text.split("\n").filter((l) => l.trim().length > 0);

describe("help", () => {
  test("switchboard --help lists the commands; each command's --help lists its flags; npm start -- --help is start's", async () => {
    const main = await npx(["--help"]);
    expect(main.code).toBe(0);
    for (const c of ["start", "token", "emit"]) expect(main.stdout).toContain(`  ${c} `);
    const start = await run("npm", ["start", "--silent", "--", "--help"]);
    expect(start.code).toBe(0);
    for (const f of ["--port", "--host", "--redis-url", "--jwt-secret", "--admin-token", "--heartbeat-timeout-ms", "--help"]) expect(start.stdout).toContain(f);
    const token = await npx(["token", "--help"]);
    expect(token.code).toBe(0);
    for (const f of ["--sub", "--rooms", "--role", "--ttl"]) expect(token.stdout).toContain(f);
    const emit = await npx(["emit", "--help"]);
    expect(emit.code).toBe(0);
    for (const f of ["--room", "--user", "--client", "--broadcast", "--event", "--data", "--exclude", "--url", "--token", "--idempotency-key", "--redis-url"]) expect(emit.stdout).toContain(f);
  }, 60_000);
});

describe("bad arguments: exit 2, one line, no stack trace", () => {
  const refusals: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["an unknown start flag", ["start", "--bogus", "1"], {}, /--bogus/],
    ["an unknown token flag", ["token", "--sub", "a", "--bogus"], { JWT_SECRET: SECRET_32 }, /unknown option --bogus/],
    ["an unknown emit flag", ["emit", "--room", "a", "--event", "e", "--bogus", "1"], {}, /unknown option --bogus/],
    ["an unknown command", ["frobnicate"], {}, /unknown command "frobnicate"/],
    ["token without --sub", ["token", "--rooms", "lobby"], { JWT_SECRET: SECRET_32 }, /--sub is required/],
    ["token with a JWT_SECRET under 32 bytes", ["token", "--sub", "a"], { JWT_SECRET: "only-twenty-bytes-xx" }, /JWT_SECRET is 20 bytes: expected at least 32 bytes/],
    ["token without JWT_SECRET", ["token", "--sub", "a"], {}, /JWT_SECRET is unset/],
    ["token --ttl banana", ["token", "--sub", "a", "--ttl", "banana"], { JWT_SECRET: SECRET_32 }, /--ttl "banana": expected a duration/],
    ["token --role root", ["token", "--sub", "a", "--role", "root"], { JWT_SECRET: SECRET_32 }, /--role "root"/],
    ["emit --url that is no URL", ["emit", "--room", "a", "--event", "e", "--url", "nope", "--token", "t"], {}, /--url "nope" is not a URL/],
    ["emit --url without a token", ["emit", "--room", "a", "--event", "e", "--url", "http://127.0.0.1:1"], {}, /--token \(or SWITCHBOARD_TOKEN\) is required/],
    ["emit --idempotency-key without --url", ["emit", "--room", "a", "--event", "e", "--idempotency-key", "k"], { REDIS_URL: "redis://127.0.0.1:1" }, /--idempotency-key needs --url/],
  ];
  for (const [name, args, env, message] of refusals) {
    test(name, async () => {
      const r = await npx(args, env);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }, 30_000);
  }

  test("npm start -- --bogus exits 2 with the CLI's line naming the flag", async () => {
    const r = await run("npm", ["start", "--silent", "--", "--bogus"]);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringContaining('Invalid option "--bogus"')]);
  }, 30_000);

  test("token: a valid request prints one JWT with the claims and the TTL", async () => {
    const r = await npx(["token", "--sub", "ann", "--rooms", "lobby,chat-*", "--role", "viewer", "--ttl", "90s"], { JWT_SECRET: SECRET_32 });
    expect(r.code).toBe(0);
    const payload = JSON.parse(Buffer.from(r.stdout.trim().split(".")[1]!, "base64url").toString());
    expect(payload).toMatchObject({ sub: "ann", rooms: ["lobby", "chat-*"], role: "viewer" });
    expect(payload.exp - payload.iat).toBe(90);
  }, 30_000);
});

describe("switchboard emit over HTTP", () => {
  test("reaches a real WebSocket client and prints the recipients from the REST answer (token from the environment)", async () => {
    const server = await startThroughNpm();
    try {
      const fleet = await connectFleet(server.port, (await fleetTokens(3)));
      const r = await npx(["emit", "--room", "fleet", "--event", "tick", "--data", '{"n":7}'], { SWITCHBOARD_URL: `http://127.0.0.1:${server.port}`, SWITCHBOARD_TOKEN: SIGNAL_ADMIN });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      expect(r.stdout).toMatch(/^sent to room fleet: 3 recipients \(id [0-9a-f-]{36}\)\n$/);
      for (const got of fleet.received) expect(got.has(7)).toBe(true);
      const flags = await npx(["emit", "--user", "fleet-0", "--event", "tick", "--data", '{"n":8}', "--url", `http://127.0.0.1:${server.port}/`, "--token", SIGNAL_ADMIN]);
      expect(flags.stdout).toMatch(/^sent to user fleet-0: 1 recipient \(id /);
      const refused = await npx(["emit", "--room", "fleet", "--event", "tick", "--url", `http://127.0.0.1:${server.port}`, "--token", "wrong-token-0123456789"]);
      expect(refused.code).toBe(1);
      expect(lines(refused.stderr)).toEqual([expect.stringMatching(/answered 401/)]);
    } finally {
      process.kill(-server.npm.pid!, "SIGKILL");
    }
  }, 60_000);

  test("a server that is not there: exit 1 with one line", async () => {
    const port = await freePort();
    const r = await npx(["emit", "--room", "a", "--event", "e", "--url", `http://127.0.0.1:${port}`, "--token", "t"]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringContaining(`cannot reach http://127.0.0.1:${port}`)]);
  }, 30_000);

  test("--idempotency-key is sent as Idempotency-Key and a replayed answer prints replayed", async () => {
    // The server side of idempotent emits is another change (SPEC §14); here a stand-in REST
    // endpoint records the header and answers as SPEC §14 says a replay is answered.
    const seen: Array<string | null> = [];
    const stub = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req) => {
        seen.push(req.headers.get("idempotency-key"));
        return Response.json({ id: "3f1c0c3e-0000-4000-8000-000000000001", recipients: 2 }, { status: 202, headers: seen.length > 1 ? { "idempotent-replayed": "true" } : {} });
      },
    });
    try {
      const args = ["emit", "--room", "a", "--event", "e", "--url", `http://127.0.0.1:${stub.port}`, "--token", "t", "--idempotency-key", "order-42"];
      expect((await npx(args)).stdout).toBe("sent to room a: 2 recipients (id 3f1c0c3e-0000-4000-8000-000000000001)\n");
      expect((await npx(args)).stdout).toBe("sent to room a: 2 recipients (id 3f1c0c3e-0000-4000-8000-000000000001) replayed\n");
      expect(seen).toEqual(["order-42", "order-42"]);
    } finally {
      stub.stop(true);
    }
  }, 30_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The package's bin started from `cwd` (as a global install or `node_modules/.bin` runs it). */
function startBin(cwd: string, env: Record<string, string>) {
  const child = spawn("node", [BIN, "start"], { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: "127.0.0.1", ...env } });
  const server = { npm: child, lines: [] as string[], exited: new Promise<number | null>((r) => child.on("exit", (c) => r(c))) };
  let buffered = "";
  child.stdout!.on("data", (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    server.lines.push(...parts);
  });
  child.stderr!.on("data", (d: Buffer) => server.lines.push(`stderr: ${d}`));
  return server;
}

const bannerValue = (all: string[], label: string) => all.find((l) => l.trimStart().startsWith(label))!.split(label)[1]!.trim();

describe("development mode across restarts", () => {
  test("credentials are kept in ./.switchboard-dev.json (0600, logged): same admin token, old client token and SDK client keep working", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "switchboard-dev-"));
    temps.push(cwd);
    const port = String(await freePort());
    const first = startBin(cwd, { PORT: port });
    await waitForLine(first as never, (l) => l.startsWith("  Client token:"), 20_000);
    const created = JSON.parse(first.lines.find((l) => l.includes("development credentials created"))!);
    expect(created.file).toBe(join(cwd, ".switchboard-dev.json"));
    expect(statSync(created.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(created.file, "utf8")).toContain("jwtSecret");
    const adminToken = bannerValue(first.lines, "Admin token:");
    const clientToken = bannerValue(first.lines, "Client token:");

    const sdk = createClient({ url: `ws://127.0.0.1:${port}/ws`, token: clientToken, reconnect: { minDelayMs: 100, maxDelayMs: 300 } } as never);
    const connects: string[] = [];
    const closes: number[] = [];
    sdk.on("connected", (d: { userId: string }) => void connects.push(d.userId));
    sdk.on("close", (e: { code: number }) => void closes.push(e.code));
    await within(sdk.connect(), 10_000, "SDK connected");
    try {
      process.kill(-first.npm.pid!, "SIGTERM");
      expect(await within(first.exited, 15_000, "first server exited")).toBe(0);

      const second = startBin(cwd, { PORT: port });
      try {
        await waitForLine(second as never, (l) => l.startsWith("  Client token:"), 20_000);
        expect(second.lines.some((l) => l.includes("development credentials loaded") && l.includes(created.file))).toBe(true);
        expect(bannerValue(second.lines, "Admin token:")).toBe(adminToken);
        const stats = await fetch(`http://127.0.0.1:${port}/api/stats`, { headers: { authorization: `Bearer ${adminToken}` } });
        expect(stats.status).toBe(200);
        const fleet = await connectFleet(Number(port), [clientToken]);
        expect(fleet.received).toHaveLength(1);
        const deadline = Date.now() + 10_000;
        while (connects.length < 2 && Date.now() < deadline) await Bun.sleep(50);
        expect(connects).toEqual(["dev-user", "dev-user"]);
        expect(closes[0]).toBe(1001); // later entries: attempts refused while no server listened
      } finally {
        sdk.close();
        process.kill(-second.npm.pid!, "SIGKILL");
      }
    } finally {
      try {
        process.kill(-first.npm.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 90_000);

  test("a damaged credentials file is an error naming it (exit 2), not silently replaced", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "switchboard-dev-"));
    temps.push(cwd);
    await Bun.write(join(cwd, ".switchboard-dev.json"), "{not json");
    const r = await run("node", [BIN, "start"], { PORT: "0", HOST: "127.0.0.1" }, cwd);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringContaining(`${join(cwd, ".switchboard-dev.json")} is not a development credentials file`)]);
    expect(readFileSync(join(cwd, ".switchboard-dev.json"), "utf8")).toBe("{not json");
  }, 30_000);
});

describe("JWT_SECRET without ADMIN_TOKEN", () => {
  test("starts, warns that only role-claim JWTs reach the API, and such a JWT minted by the CLI works", async () => {
    const server = await startThroughNpm({ ADMIN_TOKEN: "" });
    try {
      await waitForLine(server, (l) => l.includes("no ADMIN_TOKEN, VIEWER_TOKEN or EMIT_TOKEN is set"));
      expect(server.lines.some((l) => l.includes("development mode"))).toBe(false);
      const admin = (await npx(["token", "--sub", "ops", "--role", "admin"], { JWT_SECRET: SIGNAL_SECRET })).stdout.trim();
      const plain = (await npx(["token", "--sub", "ops"], { JWT_SECRET: SIGNAL_SECRET })).stdout.trim();
      const stats = (token: string) => fetch(`http://127.0.0.1:${server.port}/api/stats`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
      expect(await stats(admin)).toBe(200);
      expect(await stats(plain)).toBe(401);
    } finally {
      process.kill(-server.npm.pid!, "SIGKILL");
    }
  }, 60_000);
});
