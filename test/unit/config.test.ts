/** Every SPEC §2 variable: a bad value is one ConfigError line naming the variable, the value and what is expected. */
import { describe, expect, test } from "bun:test";
import { resolveOptions } from "../../server/config/options.ts";
import { ConfigError, envWithFlags, SETTINGS, settingsFromEnv } from "../../server/config/settings.ts";

const BAD: Record<string, string> = {
  PORT: "70000", HOST: "not a host!", WS_PATH: "ws", REDIS_URL: "http://x", REDIS_CLUSTER_NODES: "a:b", INSTANCE_ID: "emitter",
  JWT_SECRET: "short", JWT_PUBLIC_KEY: "not a pem", JWT_JWKS_URL: "ftp://x", JWT_ALGORITHMS: "none",
  ADMIN_TOKEN: "short", VIEWER_TOKEN: "short", EMIT_TOKEN: "short", AUTH_TIMEOUT_MS: "-1", HEARTBEAT_INTERVAL_MS: "fast",
  HEARTBEAT_TIMEOUT_MS: "1.5", MAX_PAYLOAD_BYTES: "10", IDLE_TIMEOUT_S: "9999", PER_MESSAGE_DEFLATE: "maybe",
  BACKPRESSURE_LIMIT_BYTES: "12", ENCRYPTION: "sometimes", ALLOWED_ORIGINS: "not an origin", MAX_CONNECTIONS: "-5", MAX_UNAUTHENTICATED_CONNECTIONS: "-1",
  MAX_CONNECTIONS_PER_USER: "x", RATE_LIMIT_PER_S: "1e3", LOG_LEVEL: "verbose", HISTORY_SIZE: "0", HISTORY_TTL_S: "0",
  PRESENCE_TTL_MS: "100", DEFAULT_ROOMS: "lobby,ws:internal", IDEMPOTENCY_TTL_S: "0",
  WEBHOOK_URLS: "https://ok.example/hook,ftp://files.example/hook", WEBHOOK_SECRET: "short", WEBHOOK_EVENTS: "client.connected,room.created",
  WEBHOOK_BATCH_MS: "-1", WEBHOOK_TIMEOUT_MS: "5", WEBHOOK_RETRY_WINDOW_S: "0", WEBHOOK_VACATE_DELAY_MS: "soon",
  // File checks (readable, parses, both or neither) are in test/deploy/tls.test.ts.
  TLS_CERT_FILE: "cert\n.pem", TLS_KEY_FILE: "key\0.pem", TRUST_PROXY: "10.0.0.0/33",
  SSE_PATH: "sse", SSE: "maybe",
  PRESENCE_LEAVE_GRACE_MS: "-1", PRESENCE_MAX_MEMBERS: "0",
};

describe("environment variables", () => {
  for (const [name, value] of Object.entries(BAD)) {
    test(`${name}=${JSON.stringify(value)} is refused with one line naming it`, () => {
      let error: unknown;
      try {
        settingsFromEnv({ [name]: value });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain(`${name}=`);
      expect(message).toContain("expected");
      expect(message.includes("\n")).toBe(false);
      if (["JWT_SECRET", "ADMIN_TOKEN", "VIEWER_TOKEN", "EMIT_TOKEN", "WEBHOOK_SECRET"].includes(name)) expect(message).not.toContain(value);
      else expect(message).toContain(JSON.stringify(value));
    });
  }

  test("every setting in the table has a bad-value test above", () => {
    expect(Object.values(SETTINGS).map((s) => s.env).filter((env) => !(env in BAD) && !["JWT_ISSUER", "JWT_AUDIENCE", "ALLOWED_ROOMS", "HISTORY_ROOMS", "PRESENCE_ROOMS"].includes(env))).toEqual([]);
  });

  test("good values are parsed into typed options", () => {
    expect(settingsFromEnv({ PORT: "0", PER_MESSAGE_DEFLATE: "true", DEFAULT_ROOMS: "", ALLOWED_ROOMS: "a, b-* ,{userId}", ENCRYPTION: "off", ALLOWED_ORIGINS: "https://a.example,http://localhost:5173" })).toEqual({
      port: 0, perMessageDeflate: true, defaultRooms: [], allowedRooms: ["a", "b-*", "{userId}"], encryption: "off", allowedOrigins: ["https://a.example", "http://localhost:5173"],
    });
  });
});

test("a password in an invalid REDIS_URL is masked in the error line", () => {
  expect(() => settingsFromEnv({ REDIS_URL: "redis://user:hunter2@ bad host" })).toThrow(/REDIS_URL="redis:\/\/user:\*\*\*@ bad host"/);
  try {
    settingsFromEnv({ REDIS_URL: "redis://:s3cret-pass@ x" });
  } catch (err) {
    expect((err as Error).message).not.toContain("s3cret-pass");
  }
});

describe("resolved options", () => {
  test("development mode generates a secret and an admin token when nothing is configured", () => {
    const o = resolveOptions({ nodeEnv: "development" });
    expect(o.devCredentials?.jwtSecret.length).toBeGreaterThan(20);
    expect(o.adminToken).toBe(o.devCredentials!.adminToken);
    expect(o.jwtAlgorithms).toEqual(["HS256"]);
  });

  test("production without keys is a start-up error", () => {
    expect(() => resolveOptions({ nodeEnv: "production" })).toThrow(/NODE_ENV=production needs JWT_SECRET/);
  });

  test("production with a secret and an admin token starts without development credentials", () => {
    const o = resolveOptions({ nodeEnv: "production", jwtSecret: "s".repeat(32), adminToken: "a".repeat(32) });
    expect(o.devCredentials).toBeUndefined();
  });

  test("inconsistent combinations are refused at start-up", () => {
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), jwtJwksUrl: "https://x/jwks" })).toThrow(/only one of/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), jwtAlgorithms: ["RS256"] })).toThrow(/JWT_ALGORITHMS/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), heartbeatInterval: 5000, heartbeatTimeout: 1000 })).toThrow(/HEARTBEAT_TIMEOUT_MS/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), handshake: async () => null })).toThrow(/outboundTransformer/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), port: 99999 as number })).toThrow(/port \(PORT\)=99999/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), encryptedBatchLimit: 0 })).toThrow(/encryptedBatchLimit/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), webhookUrls: ["https://hooks.example/in"] })).toThrow(/^Invalid configuration: WEBHOOK_SECRET is not set: expected/);
    expect(() => resolveOptions({ jwtSecret: "s".repeat(32), webhookUrls: ["mailto:ops@example.com"], webhookSecret: "w".repeat(16) })).toThrow(/WEBHOOK_URLS/);
  });

  test("webhooks are off by default and all six events are sent when WEBHOOK_EVENTS is unset", () => {
    const o = resolveOptions({ jwtSecret: "s".repeat(32) });
    expect(o.webhookUrls).toEqual([]);
    expect(o.webhookEvents).toEqual(["client.connected", "client.disconnected", "room.occupied", "room.vacated", "member.added", "member.removed"]);
    expect([o.webhookBatchMs, o.webhookTimeoutMs, o.webhookRetryWindowS, o.webhookVacateDelayMs]).toEqual([100, 5000, 300, 3000]);
    expect(settingsFromEnv({ WEBHOOK_URLS: "https://a.example/x, http://127.0.0.1:9000/y", WEBHOOK_EVENTS: "room.vacated" })).toEqual({
      webhookUrls: ["https://a.example/x", "http://127.0.0.1:9000/y"], webhookEvents: ["room.vacated"],
    });
  });

  test("requireEncryption (the Ignis name) means ENCRYPTION=required, and Ignis hook names are accepted", () => {
    const authenticateFn = async () => ({});
    const o = resolveOptions({ jwtSecret: "s".repeat(32), requireEncryption: true, authenticateFn });
    expect(o.encryption).toBe("required");
    expect(o.hooks.authenticate).toBe(authenticateFn);
  });
});

describe("CLI flags", () => {
  test("kebab-case flags mirror the variables and override the environment", () => {
    const env = envWithFlags(["--port", "3001", "--redis-url=redis://h:6379", "--per-message-deflate", "--log-level", "warn"], { PORT: "3000" });
    expect(env).toMatchObject({ PORT: "3001", REDIS_URL: "redis://h:6379", PER_MESSAGE_DEFLATE: "true", LOG_LEVEL: "warn" });
    expect(settingsFromEnv(env)).toMatchObject({ port: 3001, perMessageDeflate: true, logLevel: "warn" });
  });

  test("an unknown flag or a missing value is one clear error", () => {
    expect(() => envWithFlags(["--prot", "1"], {})).toThrow(/Invalid option "--prot"/);
    expect(() => envWithFlags(["--port"], {})).toThrow(/--port: expected a value/);
    expect(() => envWithFlags(["stray"], {})).toThrow(ConfigError);
  });
});

describe("SSE settings", () => {
  test("SSE_PATH defaults to /sse, SSE to on; SSE=off and a custom path are read from the environment", () => {
    const o = resolveOptions({ nodeEnv: "development" });
    expect([o.ssePath, o.sse, o.sseTicketTtlMs, o.sseKeepAliveMs]).toEqual(["/sse", "on", 30_000, 15_000]);
    expect(settingsFromEnv({ SSE: "off", SSE_PATH: "/events" })).toEqual({ sse: "off", ssePath: "/events" });
  });

  for (const bad of ["/sse/", "/a b", "/x?y"]) {
    test(`SSE_PATH=${JSON.stringify(bad)} is refused`, () => {
      expect(() => settingsFromEnv({ SSE_PATH: bad })).toThrow(/^Invalid configuration: SSE_PATH=.*expected a path starting with \//);
    });
  }

  for (const clash of ["/ws", "/api", "/api/stream", "/admin", "/metrics"]) {
    test(`SSE_PATH=${clash} clashes with a route the server answers and is refused`, () => {
      expect(() => resolveOptions({ nodeEnv: "development", ssePath: clash })).toThrow(/SSE_PATH=.*expected a path other than WS_PATH/);
    });
  }

  test("a clashing SSE_PATH is accepted when SSE=off (nothing is mounted there)", () => {
    expect(resolveOptions({ nodeEnv: "development", ssePath: "/api", sse: "off" }).sse).toBe("off");
  });

  test("sseTicketTtlMs must be a positive integer", () => {
    expect(() => resolveOptions({ nodeEnv: "development", sseTicketTtlMs: 0 })).toThrow(/sseTicketTtlMs=0: expected a positive integer/);
  });
});
