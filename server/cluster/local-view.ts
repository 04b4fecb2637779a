/**
 * @module server/cluster/local-view
 * The cluster view of a single instance (memory broker): everything is answered from the
 * local registry, and operator commands act on local sessions.
 */
import { hostname } from "node:os";
import { CloseCodes } from "../../shared/close-codes.ts";
import type { Hub } from "../core/hub.ts";
import type { ClientFilter, LocalCounts } from "../core/queries.ts";
import type { Target } from "../core/target.ts";
import type { RateMeter } from "./rates.ts";
import { paginate, type ClusterStats, type ClusterView, type InstanceInfo, type PageRequest } from "./view.ts";

/** This instance's own figures: its counts and message rates (the local stats and the presence record). */
export type LocalFigures = LocalCounts & { messagesInPerSec: number; messagesOutPerSec: number };

export class LocalView implements ClusterView {
  readonly startedAt = Date.now();

  constructor(
    private readonly hub: Hub,
    private readonly rates: RateMeter,
  ) {}

  async listClients(filter: ClientFilter, page: PageRequest) {
    return paginate(this.hub.directory.clients(filter), (c) => c.id, page);
  }

  async getClient(id: string) {
    return this.hub.directory.client(id);
  }

  async listRooms(q: string | undefined, page: PageRequest) {
    const needle = q?.toLowerCase();
    const rooms = this.hub.directory.rooms().filter((r) => !needle || r.name.toLowerCase().includes(needle));
    return paginate(rooms, (r) => r.name, page);
  }

  async getRoom(name: string) {
    const clients = this.hub.directory.roomMembers(name);
    return clients ? { name, size: clients.length, clients } : undefined;
  }

  async instances(): Promise<InstanceInfo[]> {
    return [this.localInstance()];
  }

  localInstance(): InstanceInfo {
    const now = Date.now();
    return { id: this.hub.options.instanceId, host: hostname(), pid: process.pid, startedAt: this.startedAt, lastSeen: now, connections: this.hub.counts().connections, healthy: !this.hub.isShuttingDown };
  }

  figures(): LocalFigures {
    const rates = this.rates.current();
    return { ...this.hub.counts(), messagesInPerSec: rates.inPerSec, messagesOutPerSec: rates.outPerSec };
  }

  async stats(): Promise<ClusterStats> {
    return { instances: 1, ...this.figures() };
  }

  async countRecipients(target: Target): Promise<number> {
    return this.hub.countLocal(target);
  }

  async disconnect(clientId: string): Promise<boolean> {
    return this.hub.disconnect(clientId, CloseCodes.KICKED);
  }

  async joinRooms(clientId: string, rooms: string[]): Promise<string[] | undefined> {
    return this.hub.joinOnBehalf(clientId, rooms);
  }

  async leaveRoom(clientId: string, room: string): Promise<boolean | undefined> {
    return this.hub.leaveOnBehalf(clientId, room);
  }
}
