/**
 * Configuration fuzzing (SPEC §2, issue 9): random values for every variable of the settings
 * table, alone and in combination. In process, validation and construction either succeed or
 * throw one ConfigError line (never another exception, never a secret echoed); as a process,
 * `switchboard start` either listens (and exits 0 on SIGTERM) or exits 2 with exactly one line
 * on stderr — never a stack trace. Seeded (FUZZ_SEED).
 */
import { describe, expect, test } from "bun:test";
import { resolveOptions, type SwitchboardOptions } from "../../server/config/options.ts";
import { ConfigError, SETTINGS, settingsFromEnv } from "../../server/config/settings.ts";
import { createSwitchboard } from "../../server/switchboard.ts";
import { CliProcess } from "../helpers/process.ts";
import { fuzz, type Rng } from "./prng.ts";

type Env = Record<string, string>;

const SECRETS = new Set(["JWT_SECRET", "ADMIN_TOKEN", "VIEWER_TOKEN", "EMIT_TOKEN"]);
/** Variables whose valid values reach the network at start (tried in process, not as a process). */
const NETWORKED = new Set(["REDIS_URL", "REDIS_CLUSTER_NODES", "JWT_JWKS_URL"]);
const PEM_GARBAGE = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----";

/** Values worth trying for a variable: valid ones, boundaries and garbage. */
function valueFor(rng: Rng, env: string, kind: string): string {
  const garbage = ["", " ", "\t", "null", "undefined", "NaN", "-0", "1e309", "9".repeat(30), "x".repeat(rng.range(300, 5000)), "$(reboot)", "../../etc/passwd", "ünïcödé ☃", "%00", ",", ",,,", "true", "0x10"];
  const byKind: Record<string, string[]> = {
    int: ["0", "1", "-1", "10", "64", "1024", "5000", "65535", "65536", "600000", "1.5", "1e3", " 7 ", "+5", "0010"],
    bool: ["true", "false", "1", "0", "yes", "no", "TRUE", "maybe"],
    list: ["a", "a,b", " a , b ", "*", "{userId}", "ws:x", "x".repeat(300), "a,,b", "lobby,news"],
    string: ["a", "x".repeat(64), rng.string(20)],
  };
  const special: Record<string, string[]> = {
    HOST: ["127.0.0.1", "localhost", "::1", "0.0.0.0", "foo.invalid", "1.2.3.4", "not a host!", "..."],
    WS_PATH: ["/ws", "/", "ws", "/a b", "/x/y?z"],
    REDIS_URL: ["http://x", "redis://", "redis:// x", "rediss://", "redis://127.0.0.1:1"],
    REDIS_CLUSTER_NODES: ["a:b", "h:1,h:2", ":", "h:99999"],
    INSTANCE_ID: ["emitter", "a b", "ok-id", "x".repeat(200)],
    JWT_SECRET: ["short", "s".repeat(16), "s".repeat(rng.range(17, 4000))],
    JWT_PUBLIC_KEY: ["not a pem", PEM_GARBAGE, "-----BEGIN PUBLIC KEY-----"],
    JWT_JWKS_URL: ["ftp://x", "https://jwks.invalid/keys", "http://"],
    JWT_ALGORITHMS: ["none", "HS256", "RS256", "HS256,RS256", "hs256", "EdDSA,ES256"],
    ADMIN_TOKEN: ["short", "t".repeat(16), rng.string(40)],
    ENCRYPTION: ["off", "optional", "required", "sometimes", "OFF"],
    ALLOWED_ORIGINS: ["*", "https://a.example", "https://a.example/path", "http://x,https://y", "not an origin"],
    LOG_LEVEL: ["debug", "info", "warn", "error", "verbose", "INFO"],
    NODE_ENV: ["production", "development", "test", ""],
  };
  const pool = rng.bool(0.4) ? garbage : [...(special[env] ?? []), ...(byKind[kind] ?? [])];
  return pool.length > 0 ? rng.pick(pool) : rng.pick(garbage);
}

const VARIABLES = [...Object.values(SETTINGS).map((s) => ({ env: s.env, kind: s.kind as string })), { env: "NODE_ENV", kind: "string" }];

function randomEnv(rng: Rng, count: number, exclude: Set<string> = new Set()): Env {
  const env: Env = {};
  for (let i = 0; i < count; i++) {
    const v = rng.pick(VARIABLES.filter((x) => !exclude.has(x.env)));
    env[v.env] = valueFor(rng, v.env, v.kind);
  }
  return env;
}

/** A refusal must be one ConfigError line that names what is wrong and never echoes a secret. */
function checkRefusal(err: unknown, env: Env, label: string): void {
  expect(err, `${label}: ${String((err as Error)?.stack ?? err)}`).toBeInstanceOf(ConfigError);
  const message = (err as Error).message;
  expect(message.includes("\n"), label).toBe(false);
  expect(message, label).toMatch(/^Invalid (configuration|option|options)\b/);
  const shown = Object.entries(env).filter(([k]) => !SECRETS.has(k)).map(([, v]) => v);
  for (const name of SECRETS) {
    const secret = env[name];
    if (!secret || secret.length < 4 || shown.some((v) => v.includes(secret))) continue; // the same text under a non-secret name may be shown
    expect(message.includes(secret), `${label}: ${name} echoed`).toBe(false);
  }
}

describe("configuration fuzz", () => {
  test("in process: every random environment is accepted and builds a server, or is refused with one ConfigError line", () =>
    fuzz("config in process", async (rng) => {
      let accepted = 0;
      for (let i = 0; i < 400; i++) {
        const env = randomEnv(rng, rng.range(1, 6));
        const label = `case ${i} ${JSON.stringify(env).slice(0, 600)}`;
        try {
          const settings = settingsFromEnv(env) as SwitchboardOptions;
          const options = { ...settings, nodeEnv: env.NODE_ENV ?? "test" };
          resolveOptions(options);
          if (options.redisUrl || options.redisClusterNodes) continue; // would connect; validated above
          await createSwitchboard({ ...options, logLevel: "error" }).shutdown();
          accepted += 1;
        } catch (err) {
          checkRefusal(err, env, label);
        }
      }
      expect(accepted).toBeGreaterThan(20);
    }), 20_000);

  test("as a process: switchboard start listens and exits 0 on SIGTERM, or exits 2 with one line; never a stack trace", () =>
    fuzz("config cli", async (rng) => {
      const runs = Array.from({ length: 10 }, (_, i) => ({ i, env: randomEnv(rng, rng.range(1, 4), NETWORKED) }));
      // Two processes at a time: a 2-core machine shared with other tests.
      for (let k = 0; k < runs.length; k += 2) await Promise.all(runs.slice(k, k + 2).map((r) => runCli(r.env, `run ${r.i}`)));
    }), 60_000);
});

async function runCli(fuzzed: Env, label: string): Promise<void> {
  const env: Env = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...fuzzed };
  // The "listening" line is how a start is seen: keep a valid level at which it is logged.
  if (env.LOG_LEVEL === "warn" || env.LOG_LEVEL === "error") env.LOG_LEVEL = "info";
  const cli = CliProcess.start(["start"], env);
  const context = () => `${label} ${JSON.stringify(fuzzed).slice(0, 500)}\nstderr: ${cli.stderr.join("\n").slice(0, 1500)}\nstdout: ${cli.lines.slice(-5).join("\n").slice(0, 1500)}`;
  try {
    const outcome = await Promise.race([
      cli.exited.then((code) => ({ exited: code })),
      cli.waitForLine((l) => l.includes('"msg":"listening"'), 15_000, "listening").then(() => ({ listening: true as const })),
    ]);
    if ("exited" in outcome) {
      expect(outcome.exited, context()).toBe(2);
      await cli.waitForLine((l) => l.trim().length > 0, 2000, "the refusal line");
      expect(cli.stderr.filter((l) => l.trim().length > 0).length, context()).toBe(1);
      expect(cli.stderr[0], context()).toMatch(/^Invalid (configuration|option)/);
    } else {
      cli.kill("SIGTERM");
      expect(await cli.exited, context()).toBe(0);
    }
    expect([...cli.stderr, ...cli.lines].filter((l) => /^\s+at /.test(l)), context()).toEqual([]);
  } finally {
    cli.kill("SIGKILL");
  }
}
