/**
 * @module server/cli-token
 * `switchboard token --sub <id> [--rooms a,b] [--role admin|viewer|emitter] [--ttl 1h]`: mints
 * an HS256 token with JWT_SECRET for trying things. It refuses what would give a token the
 * server cannot use or should not trust: no `--sub` (the server needs a user id), a secret
 * under 32 bytes (shorter than the HS256 hash), a `--ttl` that is no duration. Every refusal is
 * a one-line ConfigError (exit 2).
 */
import { signToken } from "./auth/jwt.ts";
import { ConfigError } from "./config/settings.ts";

const MIN_SECRET_BYTES = 32;
const ROLES = ["admin", "viewer", "emitter"];

export const TOKEN_HELP = `usage: switchboard token --sub <id> [--rooms a,b] [--role admin|viewer|emitter] [--ttl 1h]

Prints an HS256 JWT signed with JWT_SECRET (at least ${MIN_SECRET_BYTES} bytes), for clients or the REST API.

  --sub <id>        the user id (claim sub)                                     required
  --rooms <a,b>     room patterns the client may join (claim rooms; * and {userId} allowed)
  --role <role>     admin, viewer or emitter: access to the REST API and dashboard (claim role)
  --ttl <duration>  lifetime: 90s, 15m, 1h, 7d or seconds (default 1h)
  --help            this text`;

const FLAGS = new Set(["sub", "rooms", "role", "ttl"]);

function bad(message: string): ConfigError {
  return new ConfigError(`switchboard token: ${message} (see switchboard token --help)`);
}

/** `--name value` or `--name=value`; `--help` alone. Unknown flags and stray words are refused. */
function parseTokenFlags(args: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--help" || arg === "-h") return new Map([["help", "true"]]);
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!match) throw bad(`unexpected argument ${JSON.stringify(arg)}`);
    const name = match[1]!;
    if (!FLAGS.has(name)) throw bad(`unknown option --${name}`);
    const value = match[2] ?? args[++i];
    if (value === undefined || value === "") throw bad(`--${name} needs a value`);
    if (flags.has(name)) throw bad(`--${name} given more than once`);
    flags.set(name, value);
  }
  return flags;
}

/** A jose duration ("90s", "15m", "1h", "7d", "2w") or whole seconds. */
function parseTtl(text: string): string | number {
  if (/^[1-9]\d{0,8}$/.test(text)) return `${text}s`;
  if (/^[1-9]\d{0,6}\s?(s|m|h|d|w)$/.test(text)) return text;
  throw bad(`--ttl ${JSON.stringify(text.slice(0, 40))}: expected a duration like 90s, 15m, 1h or 7d (or whole seconds)`);
}

export async function token(args: string[]): Promise<void> {
  const flags = parseTokenFlags(args);
  if (flags.has("help")) {
    process.stdout.write(TOKEN_HELP + "\n");
    return;
  }
  const sub = flags.get("sub");
  if (!sub) throw bad("--sub is required (the user id the token is for)");
  const ttl = parseTtl(flags.get("ttl") ?? "1h");
  const role = flags.get("role");
  if (role !== undefined && !ROLES.includes(role)) throw bad(`--role ${JSON.stringify(role)}: expected one of ${ROLES.join(", ")}`);
  const secret = process.env.JWT_SECRET;
  if (!secret) throw new ConfigError("switchboard token: JWT_SECRET is unset: expected the secret the server verifies tokens with");
  const bytes = Buffer.byteLength(secret);
  if (bytes < MIN_SECRET_BYTES) throw new ConfigError(`switchboard token: JWT_SECRET is ${bytes} bytes: expected at least ${MIN_SECRET_BYTES} bytes (a shorter HS256 key is guessable; make one with: openssl rand -base64 32)`);
  const claims: Record<string, unknown> = { sub };
  const rooms = flags.get("rooms")?.split(",").map((r) => r.trim()).filter(Boolean);
  if (rooms?.length) claims.rooms = rooms;
  if (role) claims.role = role;
  process.stdout.write((await signToken(secret, claims, ttl)) + "\n");
}
