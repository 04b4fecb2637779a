/**
 * @module server/cluster/redis-view
 * The cluster view over Redis presence: this instance answers from its own registry (always
 * current), every other live instance from what it published (at most one flush interval
 * behind). Operator commands for a client elsewhere go to the instance that holds it.
 *
 * Degraded mode: while Redis is unreachable, answers cover this instance only (and
 * `/api/ready` says 503); a remote client cannot be reached then anyway, so recipient counts
 * are exactly the local ones.
 */
import { WebSocketClientStates } from "../../shared/constants.ts";
import type { Broker } from "../broker/broker.ts";
import type { Hub } from "../core/hub.ts";
import { matchesFilter, type ClientFilter, type ClientInfo, type RoomInfo } from "../core/queries.ts";
import { isOwnIdRoom } from "../core/registry.ts";
import type { Target } from "../core/target.ts";
import type { Logger } from "../core/types.ts";
import type { InstanceMeta } from "./keys.ts";
import type { LocalView } from "./local-view.ts";
import type { PresenceReader } from "./presence-reader.ts";
import type { RemoteCommand, RemoteCommands } from "./remote-commands.ts";
import { paginate, type ClusterStats, type ClusterView, type InstanceInfo, type Page, type PageRequest, type RoomDetail } from "./view.ts";

export interface RedisViewOptions {
  hub: Hub;
  broker: Broker;
  local: LocalView;
  reader: PresenceReader;
  commands: RemoteCommands;
  log: Logger;
  /** Remote client lists are shared by queries within this many ms. @default 100 */
  cacheMs?: number;
}

interface Remote {
  instances: InstanceMeta[];
  clients: ClientInfo[];
}

const NONE: Remote = { instances: [], clients: [] };

export class RedisView implements ClusterView {
  private cached?: { at: number; value: Promise<Remote> };
  private failing = false;

  constructor(private readonly o: RedisViewOptions) {}

  async listClients(filter: ClientFilter, page: PageRequest): Promise<Page<ClientInfo>> {
    const own = this.o.hub.options.instanceId;
    const local = filter.instance === undefined || filter.instance === own ? this.o.hub.directory.clients(filter) : [];
    const remote = filter.instance === own ? [] : (await this.remote()).clients.filter((c) => matchesFilter(c, filter));
    return paginate([...local, ...remote], (c) => c.id, page);
  }

  async getClient(id: string): Promise<ClientInfo | undefined> {
    const local = await this.o.local.getClient(id);
    if (local) return local;
    return (await this.degrade([], async (ids) => this.o.reader.lookup(ids, [id])))[0];
  }

  async listRooms(q: string | undefined, page: PageRequest): Promise<Page<RoomInfo>> {
    const sizes = new Map<string, number>();
    for (const room of this.o.hub.directory.rooms()) sizes.set(room.name, room.size);
    for (const client of (await this.remote()).clients) for (const room of client.rooms) sizes.set(room, (sizes.get(room) ?? 0) + 1);
    const needle = q?.toLowerCase();
    const rooms = [...sizes].filter(([name]) => !needle || name.toLowerCase().includes(needle)).map(([name, size]) => ({ name, size }));
    return paginate(rooms, (r) => r.name, page);
  }

  async getRoom(name: string): Promise<RoomDetail | undefined> {
    const local = await this.o.local.getRoom(name);
    const remote = (await this.remote()).clients.filter((c) => c.rooms.includes(name));
    const clients = [...(local?.clients ?? []), ...remote].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return clients.length > 0 ? { name, size: clients.length, clients } : undefined;
  }

  async instances(): Promise<InstanceInfo[]> {
    const remote = await this.degrade([], () => this.o.reader.instances());
    return [this.o.local.localInstance(), ...remote.map(toInstanceInfo)];
  }

  async stats(): Promise<ClusterStats> {
    const local = await this.o.local.stats();
    const { instances, clients } = await this.remote();
    const rooms = new Set<string>(this.o.hub.directory.rooms().map((r) => r.name));
    const users = this.o.hub.directory.userIds();
    for (const client of clients) {
      for (const room of client.rooms) rooms.add(room);
      if (client.userId !== undefined) users.add(client.userId);
    }
    const sum = (pick: (m: InstanceMeta) => number) => instances.reduce((n, m) => n + (pick(m) || 0), 0);
    return {
      instances: 1 + instances.length, rooms: rooms.size, users: users.size,
      connections: local.connections + sum((m) => m.connections), authenticated: local.authenticated + sum((m) => m.authenticated),
      encrypted: local.encrypted + sum((m) => m.encrypted), messagesInPerSec: local.messagesInPerSec + sum((m) => m.messagesInPerSec),
      messagesOutPerSec: local.messagesOutPerSec + sum((m) => m.messagesOutPerSec),
    };
  }

  /** Local sockets from the registry, other instances' from their room and user counts; exact for every target form. */
  async countRecipients(target: Target): Promise<number> {
    const local = this.o.hub.countLocal(target);
    if ("client" in target) {
      if (local > 0) return local;
      const found = await this.degrade([], (ids) => this.o.reader.lookup(ids, [target.client]));
      return found.some(isAuthenticated) ? 1 : 0;
    }
    return local + (await this.degrade(0, (ids, metas) => this.countRemote(target, ids, metas)));
  }

  async disconnect(clientId: string): Promise<boolean> {
    if (this.o.hub.session(clientId)) return this.o.local.disconnect(clientId);
    return (await this.command({ op: "disconnect", clientId }))?.result === true;
  }

  async joinRooms(clientId: string, rooms: string[]): Promise<string[] | undefined> {
    if (this.o.hub.session(clientId)) return this.o.local.joinRooms(clientId, rooms);
    const reply = await this.command({ op: "join", clientId, rooms });
    return reply && Array.isArray(reply.result) ? (reply.result as string[]) : undefined;
  }

  async leaveRoom(clientId: string, room: string): Promise<boolean | undefined> {
    if (this.o.hub.session(clientId)) return this.o.local.leaveRoom(clientId, room);
    const reply = await this.command({ op: "leave", clientId, room });
    return reply ? reply.result === true : undefined;
  }

  /** Other instances' records and clients, shared by queries within `cacheMs`. */
  remote(): Promise<Remote> {
    const now = Date.now();
    if (!this.o.broker.connected) return Promise.resolve(NONE);
    if (this.cached && now - this.cached.at < (this.o.cacheMs ?? 100)) return this.cached.value;
    const value = this.degrade(NONE, async (ids, instances) => ({ instances, clients: await this.o.reader.clients(ids) }));
    this.cached = { at: now, value };
    return value;
  }

  /** Sends a command to the instance presence says holds the client (to every other instance when presence does not know it yet). */
  private command(command: RemoteCommand) {
    return this.degrade(undefined, async (ids) => {
      const holder = await this.o.reader.holderOf(ids, command.clientId);
      return this.o.commands.request(holder ? [holder] : ids, command);
    });
  }

  private async countRemote(target: Exclude<Target, { client: string }>, ids: string[], metas: InstanceMeta[]): Promise<number> {
    const excluded = [...new Set(target.exclude ?? [])].filter((id) => !this.o.hub.directory.has(id));
    const skip = new Set(excluded);
    if ("rooms" in target) {
      // A client is in a room's audience once, however many of the rooms it is in; a room named
      // after a client id addresses that client (Ignis own-id rooms).
      const wanted = new Set(target.rooms);
      return (await this.o.reader.clients(ids)).filter((c) => isAuthenticated(c) && !skip.has(c.id) && (wanted.has(c.id) || c.rooms.some((r) => wanted.has(r)))).length;
    }
    const ownIdRoom = "room" in target ? [target.room] : [];
    const [total, found] = await Promise.all([
      "user" in target ? this.o.reader.sumCounts(ids, "users", target.user)
        : "room" in target ? this.o.reader.sumCounts(ids, "rooms", target.room)
        : Promise.resolve(metas.reduce((n, m) => n + (m.authenticated || 0), 0)),
      this.o.reader.lookup(ids, [...excluded, ...ownIdRoom]),
    ]);
    const addressed = (c: ClientInfo) => isAuthenticated(c) && ("user" in target ? c.userId === target.user : "room" in target ? c.rooms.includes(target.room) : true);
    const gone = found.filter((c) => skip.has(c.id) && addressed(c)).length;
    const ownId = found.filter((c) => "room" in target && isOwnIdRoom(c.id, target.room) && isAuthenticated(c) && !skip.has(c.id)).length;
    return Math.max(0, total - gone) + ownId;
  }

  /**
   * Runs a read against the live remote instances; while Redis is down or failing, answers
   * `fallback` (this instance only), logging once per change.
   */
  private async degrade<T>(fallback: T, read: (ids: string[], metas: InstanceMeta[]) => Promise<T>): Promise<T> {
    if (!this.o.broker.connected) return fallback;
    try {
      const metas = await this.o.reader.instances();
      const value = await read(metas.map((m) => m.id), metas);
      if (this.failing) this.o.log.info({}, "cluster view reads recovered");
      this.failing = false;
      return value;
    } catch (err) {
      if (!this.failing) this.o.log.warn({ err: String(err) }, "cluster view read failed; answering for this instance only");
      this.failing = true;
      return fallback;
    }
  }
}

function isAuthenticated(c: ClientInfo): boolean {
  return c.state === WebSocketClientStates.AUTHENTICATED;
}

function toInstanceInfo(m: InstanceMeta): InstanceInfo {
  const healthy = !m.shuttingDown && Date.now() - m.lastSeen <= 2 * m.refreshMs;
  return { id: m.id, host: m.host, pid: m.pid, startedAt: m.startedAt, lastSeen: m.lastSeen, connections: m.connections, healthy };
}
