/**
 * @module server/cli-emit
 * `switchboard emit`: sends one message to the clients of every instance on the same Redis,
 * through the standalone emitter (the same envelope a worker would publish).
 *
 *   switchboard emit --room lobby --event news --data '{"a":1}'
 *   switchboard emit --room a --room b --event news --exclude c1,c2
 *   switchboard emit --user alice | --client <id> | --broadcast  --event <name> [--data <json>]
 *
 * Redis comes from REDIS_URL / REDIS_CLUSTER_NODES (or `--redis-url`). Bad input throws a
 * one-line `ConfigError` (exit 2); Redis unreachable rejects with one line (exit 1).
 */
import { SwitchboardEvents, WebSocketEvents } from "../shared/constants.ts";
import { createEmitter, type Emitter } from "../shared/emitter.ts";
import { ConfigError, settingsFromEnv } from "./config/settings.ts";
import { isValidRoomName } from "./core/room-policy.ts";

const USAGE = "usage: switchboard emit (--room <name>... | --user <id> | --client <id> | --broadcast) --event <name> [--data <json>] [--exclude id,id]";
const VALUE_FLAGS = new Set(["room", "user", "client", "event", "data", "exclude", "redis-url"]);
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
    if (name === "broadcast" && eq < 0) {
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

/** What to send, validated; `send` does it with an emitter. */
export function planEmit(args: string[]): { describe: string; send: (e: Emitter) => Promise<number> } {
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
    return { describe: `room${rooms.length > 1 ? "s" : ""} ${rooms.join(", ")}`, send: (e) => e.toRoom(rooms.length === 1 ? rooms[0]! : rooms, event, data, { exclude }) };
  }
  const user = single(flags, "user");
  if (user) return { describe: `user ${user}`, send: (e) => e.toUser(user, event, data, { exclude }) };
  const client = single(flags, "client");
  if (client) {
    if (exclude) throw bad("--exclude does not apply to --client");
    return { describe: `client ${client}`, send: (e) => e.toClient(client, event, data) };
  }
  return { describe: "every client", send: (e) => e.broadcast(event, data, { exclude }) };
}

function redisFrom(flags: Flags, env: Record<string, string | undefined>): { redisUrl?: string; clusterNodes?: string[] } {
  const settings = settingsFromEnv({ REDIS_URL: single(flags, "redis-url") ?? env.REDIS_URL, REDIS_CLUSTER_NODES: env.REDIS_CLUSTER_NODES });
  const clusterNodes = settings.redisClusterNodes as string[] | undefined;
  const redisUrl = settings.redisUrl as string | undefined;
  if (!clusterNodes && !redisUrl) throw new ConfigError("switchboard emit: REDIS_URL is unset: expected the redis:// URL the instances use (or REDIS_CLUSTER_NODES, or --redis-url)");
  return clusterNodes ? { clusterNodes } : { redisUrl };
}

export async function emit(args: string[]): Promise<void> {
  const plan = planEmit(args);
  const emitter = createEmitter(redisFrom(parseFlags(args), process.env));
  try {
    const subscribers = await plan.send(emitter);
    const heard = subscribers === 0 ? "; no instance is subscribed on this Redis" : ` (${subscribers} subscriber${subscribers === 1 ? "" : "s"} on Redis)`;
    process.stdout.write(`sent to ${plan.describe}${heard}\n`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  } finally {
    await emitter.shutdown();
  }
}
