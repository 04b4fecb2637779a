/**
 * @module server/cli
 * `switchboard start [--port 3001 --redis-url …]` (default): one instance configured from the
 * environment (SPEC §2); kebab-case flags mirror the variables and override them.
 * `switchboard token --sub <id> [--rooms a,b] [--ttl 1h]`: mints a client token with JWT_SECRET.
 * `switchboard emit --room lobby --event news --data '{"a":1}'`: sends through Redis (server/cli-emit.ts).
 * A bad configuration prints one line and exits with code 2.
 */
import { signToken } from "./auth/jwt.ts";
import { emit } from "./cli-emit.ts";
import { ConfigError, envWithFlags, settingsFromEnv } from "./config/settings.ts";
import { ensureDashboardBuilt } from "./dashboard/build.ts";
import type { SwitchboardOptions } from "./config/options.ts";
import { createSwitchboard, type Switchboard } from "./switchboard.ts";

/** Rooms the development client token may join (printed in the banner). */
export const DEV_TOKEN_ROOMS = ["lobby", "news", "chat-*"];

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`switchboard: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
}

async function printDevBanner(sb: Switchboard): Promise<void> {
  const dev = sb.options.devCredentials;
  if (!dev) return;
  const host = sb.options.host === "0.0.0.0" ? "localhost" : sb.options.host;
  const base = `http://${host}:${sb.port}`;
  const clientToken = await signToken(dev.jwtSecret, { sub: "dev-user", rooms: DEV_TOKEN_ROOMS });
  const lines = [
    "",
    "  Switchboard is running in development mode (ephemeral credentials, regenerated at every start).",
    `  Dashboard:     ${base}/admin/#token=${dev.adminToken}`,
    `  Admin token:   ${dev.adminToken}`,
    `  WebSocket:     ws://${host}:${sb.port}${sb.options.path}`,
    `  Client token:  ${clientToken}`,
    `                 (user "dev-user", may join: ${DEV_TOKEN_ROOMS.join(", ")}; valid 24h)`,
    "  Production: set NODE_ENV=production with JWT_SECRET (or JWT_PUBLIC_KEY / JWT_JWKS_URL) and ADMIN_TOKEN.",
    "",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

/**
 * Binding is where HOST and PORT meet the machine: an unresolvable or foreign address, or a port
 * in use, is a configuration error (one line, exit 2), not a crash with a stack.
 */
function listenError(sb: Switchboard, err: unknown): ConfigError {
  const e = err as { code?: unknown; message?: unknown };
  const why = typeof e?.code === "string" ? e.code : String(e?.message ?? err).split("\n")[0];
  return new ConfigError(`Invalid configuration: cannot listen on HOST=${JSON.stringify(sb.options.host)} PORT=${sb.options.port}: ${why}: expected an address of this machine and a free port`);
}

async function start(args: string[]): Promise<void> {
  const settings = settingsFromEnv(envWithFlags(args, process.env)) as SwitchboardOptions;
  const sb = createSwitchboard(settings);
  // Handled from the start: a signal during start-up (dashboard build, listen, banner) must still
  // drain and exit 0, not kill the process with the default action (exit 143).
  const stop = (signal: string) => {
    sb.log.info({ signal }, "shutting down");
    void sb.shutdown().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => sb.reloadTls()); // re-reads TLS_CERT_FILE/TLS_KEY_FILE (SPEC §16); a no-op without TLS
  await ensureDashboardBuilt(sb.log);
  await sb.listen().catch((err: unknown) => {
    throw listenError(sb, err);
  });
  await printDevBanner(sb);
}

async function token(args: string[]): Promise<void> {
  const secret = process.env.JWT_SECRET;
  if (!secret) throw new ConfigError("Invalid configuration: JWT_SECRET is unset: expected the secret the server verifies tokens with");
  const claims: Record<string, unknown> = {};
  const sub = flag(args, "sub");
  const rooms = flag(args, "rooms");
  const role = flag(args, "role");
  if (sub) claims.sub = sub;
  if (rooms) claims.rooms = rooms.split(",").map((r) => r.trim()).filter(Boolean);
  if (role) claims.role = role;
  process.stdout.write((await signToken(secret, claims, flag(args, "ttl") ?? "1h")) + "\n");
}

const [command = "start", ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<void>> = { start, token, emit };
const run = commands[command];
if (!run) {
  console.error(`switchboard: unknown command "${command}" (expected: ${Object.keys(commands).join(", ")})`);
  process.exit(2);
}
run(rest).catch(fail);
