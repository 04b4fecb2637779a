/**
 * @module server/config/settings
 * Every setting of SPEC §2: its environment variable, its library option name, its default,
 * how it is read from a string and what a valid value is. One table serves both the CLI (env)
 * and the library (options object), so both are validated by the same rules, once, at start-up.
 */
import { z } from "zod";
import { WebSocketDefaults } from "../../shared/constants.ts";
import { isValidRoomName } from "../core/room-policy.ts";
import { WEBHOOK_EVENT_NAMES } from "../../shared/webhooks.ts";
import { isTrustProxyEntry } from "../transport/proxy.ts";

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const list = z.array(z.string().min(1));
const origin = z.string().regex(/^(\*|https?:\/\/[^\s/,]+)$/);

/** How a variable's text becomes a value before validation. */
type Kind = "int" | "bool" | "string" | "list";

interface Setting {
  env: string;
  kind: Kind;
  schema: z.ZodType;
  expected: string;
  default?: unknown;
  /** Secrets are never echoed back in an error line. */
  secret?: boolean;
}

function setting(env: string, kind: Kind, schema: z.ZodType, expected: string, defaultValue?: unknown): Setting {
  return { env, kind, schema, expected, default: defaultValue };
}

function secret(env: string, expected: string): Setting {
  return { env, kind: "string", schema: z.string().min(16), expected, secret: true };
}

/** URL credentials (`redis://user:password@host`) are masked wherever a value is echoed. */
function maskCredentials(text: string): string {
  return text.replace(/\/\/([^/@\s:]*):[^/@\s]*@/g, "//$1:***@");
}

function shown(s: Setting, value: unknown): string {
  if (s.secret) return `<hidden, ${String(value).length} characters>`;
  return maskCredentials(JSON.stringify(value));
}

export const SETTINGS = {
  port: setting("PORT", "int", int(0, 65535), "an integer from 0 to 65535 (0 = any free port)", 3000),
  host: setting("HOST", "string", z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/), "a bind address such as 0.0.0.0, 127.0.0.1, :: or a host name", "0.0.0.0"),
  path: setting("WS_PATH", "string", z.string().regex(/^\/\S*$/), "a path starting with /", WebSocketDefaults.PATH),
  ssePath: setting("SSE_PATH", "string", z.string().regex(/^\/[^\s?#]*[^\s?#/]$/), "a path starting with / (not ending with /)", "/sse"),
  sse: setting("SSE", "string", z.enum(["on", "off"]), "on or off", "on"),
  redisUrl: setting("REDIS_URL", "string", z.string().regex(/^rediss?:\/\/\S+$/), "a redis:// or rediss:// URL"),
  redisClusterNodes: setting("REDIS_CLUSTER_NODES", "list", z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/)).min(1), "a comma-separated list of host:port"),
  instanceId: setting("INSTANCE_ID", "string", z.string().regex(/^[\w.:@-]{1,128}$/).refine((v) => v !== "emitter"), "1-128 characters of letters, digits and ._:@- (not \"emitter\")"),
  jwtSecret: secret("JWT_SECRET", "a secret of at least 16 characters"),
  jwtPublicKey: setting("JWT_PUBLIC_KEY", "string", z.string().includes("-----BEGIN PUBLIC KEY-----"), "a PEM public key (-----BEGIN PUBLIC KEY-----)"),
  jwtJwksUrl: setting("JWT_JWKS_URL", "string", z.string().regex(/^https?:\/\/\S+$/), "an http(s) URL of a JWKS document"),
  jwtIssuer: setting("JWT_ISSUER", "string", z.string().min(1), "a non-empty issuer"),
  jwtAudience: setting("JWT_AUDIENCE", "string", z.string().min(1), "a non-empty audience"),
  jwtAlgorithms: setting("JWT_ALGORITHMS", "list", z.array(z.enum(["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"])).min(1), "a comma-separated list of JWS algorithms (HS256, RS256, ES256, EdDSA, …; never none)"),
  adminToken: secret("ADMIN_TOKEN", "a token of at least 16 characters"),
  viewerToken: secret("VIEWER_TOKEN", "a token of at least 16 characters"),
  emitToken: secret("EMIT_TOKEN", "a token of at least 16 characters"),
  authTimeout: setting("AUTH_TIMEOUT_MS", "int", int(1, 600_000), "milliseconds from 1 to 600000", WebSocketDefaults.AUTH_TIMEOUT),
  heartbeatInterval: setting("HEARTBEAT_INTERVAL_MS", "int", int(10, 3_600_000), "milliseconds from 10 to 3600000", WebSocketDefaults.HEARTBEAT_INTERVAL),
  heartbeatTimeout: setting("HEARTBEAT_TIMEOUT_MS", "int", int(10, 86_400_000), "milliseconds from 10 to 86400000", WebSocketDefaults.HEARTBEAT_TIMEOUT),
  maxPayloadLength: setting("MAX_PAYLOAD_BYTES", "int", int(64, 64 * 1024 * 1024), "bytes from 64 to 67108864", WebSocketDefaults.MAX_PAYLOAD_LENGTH),
  idleTimeout: setting("IDLE_TIMEOUT_S", "int", int(0, 960), "seconds from 0 to 960 (0 = off)", WebSocketDefaults.IDLE_TIMEOUT),
  perMessageDeflate: setting("PER_MESSAGE_DEFLATE", "bool", z.boolean(), "true or false", false),
  backpressureLimit: setting("BACKPRESSURE_LIMIT_BYTES", "int", int(1024), "bytes, at least 1024", WebSocketDefaults.BACKPRESSURE_LIMIT),
  // Names, not patterns: every authenticated client is put in them, so they must be valid rooms (SPEC §3.2 item 4).
  defaultRooms: setting("DEFAULT_ROOMS", "list", z.array(z.string().refine(isValidRoomName)), "a comma-separated list of room names of 1-256 printable characters, not starting with ws: (empty = none)", [WebSocketDefaults.ROOM, WebSocketDefaults.NOTIFICATION_ROOM]),
  allowedRooms: setting("ALLOWED_ROOMS", "list", list, "a comma-separated list of room patterns", []),
  encryption: setting("ENCRYPTION", "string", z.enum(["off", "optional", "required"]), "off, optional or required", "optional"),
  allowedOrigins: setting("ALLOWED_ORIGINS", "list", z.array(origin).min(1), "* or a comma-separated list of origins like https://app.example.com", ["*"]),
  maxConnections: setting("MAX_CONNECTIONS", "int", int(0), "an integer ≥ 0 (0 = unlimited)", 0),
  maxConnectionsPerUser: setting("MAX_CONNECTIONS_PER_USER", "int", int(0), "an integer ≥ 0 (0 = unlimited)", 0),
  maxUnauthenticated: setting("MAX_UNAUTHENTICATED_CONNECTIONS", "int", int(0), "an integer ≥ 0 (0 = unlimited)", 5000),
  rateLimitPerSecond: setting("RATE_LIMIT_PER_S", "int", int(0), "frames per second, an integer ≥ 0 (0 = off)", 100),
  logLevel: setting("LOG_LEVEL", "string", z.enum(["debug", "info", "warn", "error"]), "debug, info, warn or error", "info"),
  historyRooms: setting("HISTORY_ROOMS", "list", list, "a comma-separated list of room patterns", []),
  historySize: setting("HISTORY_SIZE", "int", int(1, 100_000), "an integer from 1 to 100000", 100),
  historyTtlSeconds: setting("HISTORY_TTL_S", "int", int(1, 30 * 86_400), "seconds from 1 to 2592000", 300),
  presenceTtlMs: setting("PRESENCE_TTL_MS", "int", int(300, 600_000), "milliseconds from 300 to 600000", 15_000),
  // How long a REST emit's Idempotency-Key is remembered, counted from the first request (SPEC §14).
  idempotencyTtlSeconds: setting("IDEMPOTENCY_TTL_S", "int", int(1, 86_400), "seconds from 1 to 86400", 300),
  // Webhooks (SPEC §13): off while WEBHOOK_URLS is unset or empty; WEBHOOK_SECRET is then required (options.ts).
  webhookUrls: setting("WEBHOOK_URLS", "list", z.array(z.string().regex(/^https?:\/\/[^\s,]+$/).refine((u) => URL.canParse(u))), "a comma-separated list of http:// or https:// URLs (empty = webhooks off)", []),
  webhookSecret: secret("WEBHOOK_SECRET", "a secret of at least 16 characters"),
  webhookEvents: setting("WEBHOOK_EVENTS", "list", z.array(z.enum(WEBHOOK_EVENT_NAMES)).min(1), `a comma-separated list of ${WEBHOOK_EVENT_NAMES.join(", ")}`, [...WEBHOOK_EVENT_NAMES]),
  webhookBatchMs: setting("WEBHOOK_BATCH_MS", "int", int(0, 60_000), "milliseconds from 0 to 60000", 100),
  webhookTimeoutMs: setting("WEBHOOK_TIMEOUT_MS", "int", int(10, 600_000), "milliseconds from 10 to 600000", 5000),
  webhookRetryWindowS: setting("WEBHOOK_RETRY_WINDOW_S", "int", int(1, 86_400), "seconds from 1 to 86400", 300),
  webhookVacateDelayMs: setting("WEBHOOK_VACATE_DELAY_MS", "int", int(0, 3_600_000), "milliseconds from 0 to 3600000", 3000),
  // SPEC §16. Readability and parsing of the two files are checked in options.ts (both or neither).
  tlsCertFile: setting("TLS_CERT_FILE", "string", z.string().regex(/^[^\0\r\n]+$/), "the path of a PEM certificate (chain) file"),
  tlsKeyFile: setting("TLS_KEY_FILE", "string", z.string().regex(/^[^\0\r\n]+$/), "the path of a PEM private key file"),
  trustProxy: setting("TRUST_PROXY", "list", z.array(z.string().refine(isTrustProxyEntry)).refine((l) => !l.includes("false") || l.length === 1), "false, or a comma-separated list of proxy addresses or CIDRs (loopback allowed), such as loopback,10.0.0.0/8", []),
  presenceRooms: setting("PRESENCE_ROOMS", "list", list, "a comma-separated list of room patterns", []),
  presenceLeaveGraceMs: setting("PRESENCE_LEAVE_GRACE_MS", "int", int(0, 600_000), "milliseconds from 0 to 600000", 2000),
  presenceMaxMembers: setting("PRESENCE_MAX_MEMBERS", "int", int(1, 10_000_000), "an integer from 1 to 10000000", 10_000),
} as const satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SETTINGS;

/** One line naming the variable, the value and what is expected (CLI exits 2 with it). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function parseText(kind: Kind, text: string): unknown {
  switch (kind) {
    case "int":
      return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    case "bool":
      return ({ true: true, "1": true, yes: true, false: false, "0": false, no: false } as Record<string, boolean>)[text.trim().toLowerCase()] ?? text;
    case "list":
      return text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    default:
      return text;
  }
}

/** Reads every SPEC §2 variable present in `env` into option values. */
export function settingsFromEnv(env: Record<string, string | undefined>): Partial<Record<SettingKey, unknown>> {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, Setting][]) {
    const text = env[s.env];
    if (text === undefined || (text === "" && s.kind !== "list")) continue;
    const value = parseText(s.kind, text);
    const check = s.schema.safeParse(value);
    if (!check.success) throw new ConfigError(`Invalid configuration: ${s.env}=${shown(s, text)}: expected ${s.expected}`);
    out[key] = check.data;
  }
  return out;
}

/** Validates library option values with the same rules (message names the option). */
export function validateSetting(key: SettingKey, value: unknown): unknown {
  const s: Setting = SETTINGS[key];
  const check = s.schema.safeParse(value);
  if (!check.success) throw new ConfigError(`Invalid option ${key} (${s.env})=${shown(s, value)}: expected ${s.expected}`);
  return check.data;
}

/**
 * CLI flags mirroring the variables in kebab-case (`--port 3001`, `--redis-url=redis://…`,
 * `--per-message-deflate`): returns the environment with the flags applied over it. A flag
 * that names no variable is a ConfigError.
 */
export function envWithFlags(args: readonly string[], env: Record<string, string | undefined>): Record<string, string | undefined> {
  const known = new Map(Object.values(SETTINGS).map((s: Setting) => [s.env.toLowerCase().replaceAll("_", "-"), s] as const));
  const out = { ...env };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    const setting = match ? known.get(match[1]!) : undefined;
    if (!match || !setting) {
      throw new ConfigError(`Invalid option ${JSON.stringify(arg)}: expected --<variable in kebab-case> <value>, for example --port 3001 or --redis-url redis://localhost:6379`);
    }
    let value = match[2];
    if (value === undefined) {
      const next = args[i + 1];
      if (setting.kind === "bool" && (next === undefined || next.startsWith("--"))) value = "true";
      else if (next === undefined) throw new ConfigError(`Invalid option --${match[1]}: expected a value (${setting.expected})`);
      else value = args[++i]!;
    }
    out[setting.env] = value;
  }
  return out;
}
