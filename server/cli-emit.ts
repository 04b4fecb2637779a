/**
 * @module server/cli-emit
 * `switchboard emit`: sends one message to clients, either through a running server's REST API
 * (`--url` / SWITCHBOARD_URL with `--token` / SWITCHBOARD_TOKEN: POST /api/emit, which reports
 * the recipients) or, when no URL is given, straight to Redis through the standalone emitter
 * (REDIS_URL / REDIS_CLUSTER_NODES / `--redis-url`: the same envelope a worker would publish;
 * Redis only tells how many instances heard it).
 *
 *   switchboard emit --room lobby --event news --data '{"a":1}'
 *   switchboard emit --room a --room b --event news --exclude c1,c2
 *   switchboard emit --user alice | --client <id> | --broadcast  --event <name> [--data <json>]
 *
 * Bad input throws a one-line `ConfigError` (exit 2); a server or Redis that cannot be reached,
 * or a refused request, prints one line and exits 1.
 */
import { SwitchboardEvents, WebSocketEvents } from "../shared/constants.ts";
import { createEmitter, type Emitter } from "../shared/emitter.ts";
import { ConfigError, settingsFromEnv } from "./config/settings.ts";
import { isValidRoomName } from "./core/room-policy.ts";

const USAGE = "usage: switchboard emit (--room <name>... | --user <id> | --client <id> | --broadcast) --event <name> [--data <json>] [--exclude id,id] [--url <http://host:port> --token <token> [--idempotency-key <key>] | --redis-url <url>]";
const VALUE_FLAGS = new Set(["room", "user", "client", "event", "data", "exclude", "redis-url", "url", "token", "idempotency-key"]);

export const EMIT_HELP = `usage: switchboard emit <target> --event <name> [--data <json>] [options]

Sends one event to clients. With --url (or SWITCHBOARD_URL) it goes through a running server's
REST API (POST /api/emit) and prints how many clients received it; without a URL it is published
to Redis (REDIS_URL, REDIS_CLUSTER_NODES or --redis-url) for every instance on it.

Target (exactly one):
  --room <name>              a room; repeat for several rooms
  --user <id>                every connection of a user
  --client <id>              one connection
  --broadcast                every client

Message:
  --event <name>             event name (not a reserved system event)            required
  --data <json>              payload as JSON (a string must be quoted: '"text"')
  --exclude <id,id>          client ids to skip (not with --client)

Over HTTP:
  --url <http://host:port>   the server (env SWITCHBOARD_URL)
  --token <token>            ADMIN_TOKEN, EMIT_TOKEN or a JWT with role admin/emitter (env SWITCHBOARD_TOKEN)
  --idempotency-key <key>    sent as Idempotency-Key; a replayed answer prints "replayed"

Over Redis:
  --redis-url <url>          overrides REDIS_URL

  --help                     this text

Exit codes: 0 sent, 1 server or Redis unreachable or the request refused, 2 bad arguments.`;
const RESERVED_EVENTS: ReadonlySet<string> = new Set([...WebSocketEvents.SCHEME_SET, ...Object.values(SwitchboardEvents)]);

type Flags = Map<string, string[]>;

function bad(message: string): ConfigError {
  return new ConfigError(`switchboard emit: ${message}. ${USAGE}`);
}

/** `--name value`, `--name=value` and the bare `--broadcast`; repeated flags accumulate. */
export function parseFlags(args: string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) throw bad(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    if ((name === "broadcast" || name === "help") && eq < 0) {
      flags.set(name, ["true"]);
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw bad(`unknown option --${name}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) throw bad(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

function single(flags: Flags, name: string): string | undefined {
  const values = flags.get(name);
  if (values && values.length > 1) throw bad(`--${name} given more than once`);
  return values?.[0];
}

function parseData(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw bad(`--data ${JSON.stringify(text.slice(0, 80))} is not JSON (quote a string as '"text"')`);
  }
}

export interface EmitPlan {
  describe: string;
  /** Sends through the Redis emitter; resolves with the number of subscribed instances. */
  send: (e: Emitter) => Promise<number>;
  /** The same message as a POST /api/emit body. */
  body: { to: Record<string, unknown>; event: string; data?: unknown; exclude?: string[] };
}

/** What to send, validated; `send` does it with an emitter, `body` is the REST request. */
export function planEmit(args: string[]): EmitPlan {
  const flags = parseFlags(args);
  const event = single(flags, "event");
  if (!event) throw bad("--event is required");
  if (RESERVED_EVENTS.has(event)) throw bad(`--event ${JSON.stringify(event)} is a reserved system event`);
  const data = parseData(single(flags, "data"));
  const exclude = single(flags, "exclude")?.split(",").map((s) => s.trim()).filter(Boolean);
  const kinds = ["room", "user", "client", "broadcast"].filter((k) => flags.has(k));
  if (kinds.length !== 1) throw bad("give exactly one of --room, --user, --client, --broadcast");
  const rooms = flags.get("room");
  if (rooms) {
    const invalid = rooms.find((r) => !isValidRoomName(r));
    if (invalid !== undefined) throw bad(`--room ${JSON.stringify(invalid)} is not a room name (1-256 printable characters, not starting with ws:)`);
    const to = rooms.length === 1 ? { room: rooms[0]! } : { rooms };
    return { describe: `room${rooms.length > 1 ? "s" : ""} ${rooms.join(", ")}`, send: (e) => e.toRoom(rooms.length === 1 ? rooms[0]! : rooms, event, data, { exclude }), body: { to, event, data, exclude } };
  }
  const user = single(flags, "user");
  if (user) return { describe: `user ${user}`, send: (e) => e.toUser(user, event, data, { exclude }), body: { to: { user }, event, data, exclude } };
  const client = single(flags, "client");
  if (client) {
    if (exclude) throw bad("--exclude does not apply to --client");
    return { describe: `client ${client}`, send: (e) => e.toClient(client, event, data), body: { to: { client }, event, data } };
  }
  return { describe: "every client", send: (e) => e.broadcast(event, data, { exclude }), body: { to: { broadcast: true }, event, data, exclude } };
}

function redisFrom(flags: Flags, env: Record<string, string | undefined>): { redisUrl?: string; clusterNodes?: string[] } {
  const settings = settingsFromEnv({ REDIS_URL: single(flags, "redis-url") ?? env.REDIS_URL, REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES });
  const clusterNodes = settings.redisClusterNodes as string[] | undefined;
  const redisUrl = settings.redisUrl as string | undefined;
  if (!clusterNodes && !redisUrl) {
    throw new ConfigError("switchboard emit: no server to send to: SWITCHBOARD_URL is unset (or --url http://host:port for a running server) and REDIS_URL is unset (or --redis-url, REDIS_CLUSTER_NODES for the instances' Redis)");
  }
  return clusterNodes ? { clusterNodes } : { redisUrl };
}

/** The server's base URL and the bearer token, when the message goes over HTTP. */
function httpTarget(flags: Flags, env: Record<string, string | undefined>): { url: URL; token: string } | undefined {
  const text = single(flags, "url") ?? (env.SWITCHBOARD_URL || undefined);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(`--url ${JSON.stringify(text)} is not a URL (expected http://host:port or https://host)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw bad(`--url ${JSON.stringify(text)}: expected an http:// or https:// URL`);
  const token = single(flags, "token") ?? (env.SWITCHBOARD_TOKEN || undefined);
  if (!token) throw bad("--token (or SWITCHBOARD_TOKEN) is required with --url: an ADMIN_TOKEN, EMIT_TOKEN or a JWT with role admin or emitter");
  return { url, token };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** POST /api/emit; prints `sent to … : N recipients (id …)` and `replayed` for a replayed answer. */
async function emitOverHttp(plan: EmitPlan, target: { url: URL; token: string }, idempotencyKey: string | undefined): Promise<void> {
  const endpoint = new URL("api/emit", target.url.href.endsWith("/") ? target.url : `${target.url.href}/`);
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, "content-type": "application/json" };
  if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
  let res: Response;
  try {
    res = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify(plan.body), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code ?? (err as Error)?.message;
    console.error(`switchboard emit: cannot reach ${endpoint.origin}: ${cause}`);
    process.exitCode = 1;
    return;
  }
  const text = await res.text();
  const body = (() => {
    try {
      return JSON.parse(text) as { id?: string; recipients?: number; error?: { code?: string; message?: string } };
    } catch {
      return {};
    }
  })();
  if (res.status !== 202 || typeof body.recipients !== "number") {
    const why = body.error ? `${body.error.code}: ${body.error.message}` : text.slice(0, 200).replace(/\s+/g, " ");
    console.error(`switchboard emit: ${endpoint.href} answered ${res.status}: ${why}`);
    process.exitCode = 1;
    return;
  }
  const replayed = res.headers.get("idempotent-replayed") === "true" ? " replayed" : "";
  process.stdout.write(`sent to ${plan.describe}: ${plural(body.recipients, "recipient")} (id ${body.id})${replayed}\n`);
}

async function emitOverRedis(plan: EmitPlan, redis: { redisUrl?: string; clusterNodes?: string[] }): Promise<void> {
  const emitter = createEmitter(redis);
  try {
    const subscribers = await plan.send(emitter);
    const heard = subscribers === 0 ? "; no instance is subscribed on this Redis" : ` (${plural(subscribers, "subscriber")} on Redis)`;
    process.stdout.write(`sent to ${plan.describe}${heard}\n`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  } finally {
    await emitter.shutdown();
  }
}

export async function emit(args: string[]): Promise<void> {
  const flags = parseFlags(args);
  if (flags.has("help")) {
    process.stdout.write(EMIT_HELP + "\n");
    return;
  }
  const plan = planEmit(args);
  const http = httpTarget(flags, process.env);
  const idempotencyKey = single(flags, "idempotency-key");
  if (!http && (idempotencyKey !== undefined || flags.has("token"))) throw bad(`--${idempotencyKey !== undefined ? "idempotency-key" : "token"} needs --url (Redis has no idempotency or tokens)`);
  if (http) return emitOverHttp(plan, http, idempotencyKey);
  return emitOverRedis(plan, redisFrom(flags, process.env));
}
