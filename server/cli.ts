/**
 * @module server/cli
 * `switchboard start [--port 3001 --redis-url …]` (default): one instance configured from the
 * environment (SPEC §2); kebab-case flags mirror the variables and override them.
 * `switchboard token --sub <id> …`: mints a token with JWT_SECRET (server/cli-token.ts).
 * `switchboard emit --room lobby --event news …`: sends over HTTP or Redis (server/cli-emit.ts).
 * `--help` works for the CLI and every command. Bad arguments or configuration print one line
 * and exit with code 2.
 */
import { signToken } from "./auth/jwt.ts";
import { EMIT_HELP, emit } from "./cli-emit.ts";
import { TOKEN_HELP, token } from "./cli-token.ts";
import { DEV_SECRETS_FILE, loadOrCreateDevSecrets } from "./config/dev-secrets.ts";
import { ConfigError, envWithFlags, SETTINGS, settingsFromEnv } from "./config/settings.ts";
import { ensureDashboardBuilt } from "./dashboard/build.ts";
import type { SwitchboardOptions } from "./config/options.ts";
import { createSwitchboard, type Switchboard } from "./switchboard.ts";

/** Rooms the development client token may join (printed in the banner). */
export const DEV_TOKEN_ROOMS = ["lobby", "news", "chat-*"];

const MAIN_HELP = `usage: switchboard [command] [options]

Commands:
  start    run one instance (the default command; configured by environment variables or flags)
  token    mint a JWT with JWT_SECRET for a client or the REST API
  emit     send an event to clients, through a running server (--url) or Redis

Run "switchboard <command> --help" for a command's options.`;

/** `start --help`: one line per setting, generated from the settings table. */
function startHelp(): string {
  const rows = Object.values(SETTINGS).map((s) => {
    const flagName = `--${s.env.toLowerCase().replaceAll("_", "-")}`;
    return `  ${flagName.padEnd(36)} ${s.env}: ${s.expected}${"default" in s && s.default !== undefined ? ` (default ${Array.isArray(s.default) ? s.default.join(",") || "empty" : s.default})` : ""}`;
  });
  return [
    "usage: switchboard start [--<setting> <value>]...",
    "",
    "Runs one instance. Every setting is an environment variable; the flag of the same name in",
    "kebab-case overrides it (a true/false flag alone means true). Without a JWT key and ADMIN_TOKEN",
    `(and NODE_ENV not production) it runs in development mode with credentials kept in ./${DEV_SECRETS_FILE}.`,
    "SIGTERM or SIGINT drains (every socket gets 1001) and exits 0; repeated signals are ignored.",
    "",
    ...rows,
    `  ${"--help".padEnd(36)} this text`,
  ].join("\n");
}

const HELP: Record<string, () => string> = { start: startHelp, token: () => TOKEN_HELP, emit: () => EMIT_HELP };

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`switchboard: ${(err as Error)?.stack ?? String(err)}`);
  process.exit(1);
}

async function printDevBanner(sb: Switchboard, file: string | undefined): Promise<void> {
  const dev = sb.options.devCredentials;
  if (!dev) return;
  const host = sb.options.host === "0.0.0.0" ? "localhost" : sb.options.host;
  const base = `http://${host}:${sb.port}`;
  const clientToken = await signToken(dev.jwtSecret, { sub: "dev-user", rooms: DEV_TOKEN_ROOMS });
  const lines = [
    "",
    `  Switchboard is running in development mode (credentials kept in ${file ?? DEV_SECRETS_FILE}; delete it for new ones).`,
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

/**
 * SIGTERM and SIGINT start one drain; every later copy is logged and ignored, never cut short.
 * One signal often arrives more than once: `kill -TERM -<pgid>` and systemd's control-group
 * kill reach this process directly and again through the node wrapper (and npm) that forward
 * it, and a terminal's Ctrl-C reaches the whole foreground group the same way. So there is no
 * "second signal forces exit": the drain is bounded (HTTP_DRAIN_MS plus the socket closes),
 * and SIGKILL is the way to stop without draining.
 */
function drainOnSignals(sb: Switchboard): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      sb.log.info({ signal }, "already shutting down; signal ignored");
      return;
    }
    draining = true;
    sb.log.info({ signal }, "shutting down");
    sb.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        sb.log.error({ err: String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

/** A JWT key without any static token is valid (role-claim JWTs reach the API) but easy to miss. */
function warnWithoutStaticTokens(sb: Switchboard): void {
  const o = sb.options;
  if (o.devCredentials || o.adminToken || o.viewerToken || o.emitToken) return;
  sb.log.warn({}, "no ADMIN_TOKEN, VIEWER_TOKEN or EMIT_TOKEN is set: the REST API and dashboard accept only JWTs with a role claim (switchboard token --sub ops --role admin)");
}

async function start(args: string[]): Promise<void> {
  if (args.includes("--help") || args.includes("-h")) return void process.stdout.write(startHelp() + "\n");
  const settings = settingsFromEnv(envWithFlags(args, process.env)) as SwitchboardOptions;
  let devFile: { path: string; created: boolean } | undefined;
  const sb = createSwitchboard({
    ...settings,
    developmentCredentials: () => {
      const stored = loadOrCreateDevSecrets();
      devFile = stored;
      return stored.credentials;
    },
  });
  if (devFile) sb.log.info({ file: devFile.path, created: devFile.created }, devFile.created ? "development credentials created" : "development credentials loaded");
  warnWithoutStaticTokens(sb);
  // Handled from the start: a signal during start-up (dashboard build, listen, banner) must still
  // drain and exit 0, not kill the process with the default action (exit 143).
  drainOnSignals(sb);
  // SIGHUP re-reads TLS_CERT_FILE/TLS_KEY_FILE (SPEC §16); a no-op without TLS. A group SIGHUP
  // arrives directly and through the wrapper: the second reload just replaces the listener again.
  process.on("SIGHUP", () => sb.reloadTls());
  await ensureDashboardBuilt(sb.log);
  await sb.listen().catch((err: unknown) => {
    throw listenError(sb, err);
  });
  await printDevBanner(sb, devFile?.path);
}

const commands: Record<string, (args: string[]) => Promise<void>> = { start, token, emit };

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === undefined) return start([]);
  if (first === "--help" || first === "-h" || first === "help") {
    const topic = rest[0] && HELP[rest[0]];
    process.stdout.write((topic ? topic() : MAIN_HELP) + "\n");
    return;
  }
  // `switchboard --port 3001` is `switchboard start --port 3001`.
  if (first.startsWith("-")) return start(argv);
  const run = commands[first];
  if (!run) throw new ConfigError(`switchboard: unknown command ${JSON.stringify(first)}: expected one of ${Object.keys(commands).join(", ")} (see switchboard --help)`);
  return run(rest);
}

main(process.argv.slice(2)).catch(fail);
