/**
 * @module server/facade
 * The library API of SPEC §6: targeting (each with `exclude`, each reaching every instance),
 * operator actions and queries. The async queries and actions go through the cluster view and
 * describe the whole cluster; `getClient`/`getClients` are the Ignis-style synchronous
 * accessors of this instance's own clients.
 */
import type { ClusterStats, ClusterView, InstanceInfo, Page, PageRequest, RoomDetail } from "./cluster/view.ts";
import type { HubEventListener } from "./core/events.ts";
import type { Hub } from "./core/hub.ts";
import type { ClientFilter, ClientInfo, RoomInfo } from "./core/queries.ts";
import type { Target } from "./core/target.ts";

export interface SendOptions {
  exclude?: string[];
}

const ALL: PageRequest = { limit: Number.MAX_SAFE_INTEGER };

export class LibraryFacade {
  constructor(
    protected readonly hub: Hub,
    readonly view: ClusterView,
  ) {}

  /** Sends to a target on every instance; resolves to the number of sockets reached on this instance. */
  emit(target: Target, event: string, data?: unknown): Promise<number> {
    return this.hub.emit(target, event, data);
  }

  toClient(clientId: string, event: string, data?: unknown): Promise<number> {
    return this.emit({ client: clientId }, event, data);
  }

  toUser(userId: string, event: string, data?: unknown, o: SendOptions = {}): Promise<number> {
    return this.emit({ user: userId, exclude: o.exclude }, event, data);
  }

  toRoom(room: string | string[], event: string, data?: unknown, o: SendOptions = {}): Promise<number> {
    const target: Target = Array.isArray(room) ? { rooms: room, exclude: o.exclude } : { room, exclude: o.exclude };
    return this.emit(target, event, data);
  }

  broadcast(event: string, data?: unknown, o: SendOptions = {}): Promise<number> {
    return this.emit({ broadcast: true, exclude: o.exclude }, event, data);
  }

  /** Joins rooms on a client's behalf, wherever it is (bypasses ALLOWED_ROOMS, not the reserved-name rules). */
  joinRoom({ clientId, rooms }: { clientId: string; rooms: string[] }): Promise<string[] | undefined> {
    return this.view.joinRooms(clientId, rooms);
  }

  leaveRoom({ clientId, room }: { clientId: string; room: string }): Promise<boolean | undefined> {
    return this.view.leaveRoom(clientId, room);
  }

  /** Closes the client with 4007 (Disconnected by server) wherever it is. */
  disconnect(clientId: string): Promise<boolean> {
    return this.view.disconnect(clientId);
  }

  /** Cluster-wide: every client matching the filter (use `clientsPage` for large clusters). */
  async clients(filter: ClientFilter = {}): Promise<ClientInfo[]> {
    return (await this.view.listClients(filter, ALL)).items;
  }

  clientsPage(filter: ClientFilter, page: PageRequest): Promise<Page<ClientInfo>> {
    return this.view.listClients(filter, page);
  }

  client(id: string): Promise<ClientInfo | undefined> {
    return this.view.getClient(id);
  }

  async rooms(q?: string): Promise<RoomInfo[]> {
    return (await this.view.listRooms(q, ALL)).items;
  }

  room(name: string): Promise<RoomDetail | undefined> {
    return this.view.getRoom(name);
  }

  instances(): Promise<InstanceInfo[]> {
    return this.view.instances();
  }

  stats(): Promise<ClusterStats> {
    return this.view.stats();
  }

  /** This instance only (Ignis `getClients({id})`). */
  getClient(id: string): ClientInfo | undefined {
    return this.hub.directory.client(id);
  }

  /** This instance only (Ignis `getClients`, `getClientsByUser`, `getClientsByRoom`). */
  getClients(filter: ClientFilter = {}): ClientInfo[] {
    return this.hub.directory.clients(filter);
  }

  /** Lifecycle events of this instance (connect, authenticate, disconnect, join, leave, emit). Returns an unsubscribe function. */
  on(listener: HubEventListener): () => void {
    return this.hub.on(listener);
  }
}
