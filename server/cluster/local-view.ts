/**
 * @module server/cluster/local-view
 * The cluster view of a single instance (memory broker): everything is answered from the
 * local registry, and operator commands act on local sessions.
 */
import { hostname } from "node:os";
import { CloseCodes } from "../../shared/close-codes.ts";
import type { Hub } from "../core/hub.ts";
import { localClients, localRooms, toClientInfo, type ClientFilter } from "../core/queries.ts";
import { partitionRoomNames } from "../core/room-policy.ts";
import type { Target } from "../core/target.ts";
import type { RateMeter } from "./rates.ts";
import { paginate, type ClusterStats, type ClusterView, type InstanceInfo, type PageRequest } from "./view.ts";

export class LocalView implements ClusterView {
  readonly startedAt = Date.now();

  constructor(
    private readonly hub: Hub,
    private readonly rates: RateMeter,
  ) {}

  async listClients(filter: ClientFilter, page: PageRequest) {
    return paginate(localClients(this.hub.registry, filter), (c) => c.id, page);
  }

  async getClient(id: string) {
    const record = this.hub.registry.get(id);
    return record ? toClientInfo(record) : undefined;
  }

  async listRooms(q: string | undefined, page: PageRequest) {
    const needle = q?.toLowerCase();
    const rooms = localRooms(this.hub.registry).filter((r) => !needle || r.name.toLowerCase().includes(needle));
    return paginate(rooms, (r) => r.name, page);
  }

  async getRoom(name: string) {
    const members = this.hub.registry.membersOf(name);
    if (!members) return undefined;
    const clients = [...members].map((id) => this.hub.registry.get(id)).filter((r) => r !== undefined).map(toClientInfo);
    return { name, size: members.size, clients };
  }

  async instances(): Promise<InstanceInfo[]> {
    return [this.localInstance()];
  }

  localInstance(): InstanceInfo {
    const now = Date.now();
    return { id: this.hub.options.instanceId, host: hostname(), pid: process.pid, startedAt: this.startedAt, lastSeen: now, connections: this.hub.sessions.size, healthy: !this.hub.isShuttingDown };
  }

  async stats(): Promise<ClusterStats> {
    const hub = this.hub;
    const rates = this.rates.current();
    return {
      instances: 1, connections: hub.sessions.size, authenticated: hub.authenticated.size, encrypted: hub.registry.encryptedCount,
      rooms: hub.registry.roomCount, users: hub.registry.userCount, messagesInPerSec: rates.inPerSec, messagesOutPerSec: rates.outPerSec,
    };
  }

  async countRecipients(target: Target): Promise<number> {
    return this.hub.countLocal(target);
  }

  async disconnect(clientId: string): Promise<boolean> {
    return this.hub.disconnect(clientId, CloseCodes.KICKED);
  }

  async joinRooms(clientId: string, rooms: string[]): Promise<string[] | undefined> {
    const session = this.hub.sessions.get(clientId);
    if (!session || !this.hub.authenticated.has(clientId)) return undefined;
    const { valid } = partitionRoomNames(rooms, (name) => name !== clientId && this.hub.registry.has(name));
    for (const room of valid) this.hub.joinRoom(session, room);
    return valid;
  }

  async leaveRoom(clientId: string, room: string): Promise<boolean | undefined> {
    const session = this.hub.sessions.get(clientId);
    if (!session) return undefined;
    if (room === clientId) return false;
    return this.hub.leaveRoom(session, room);
  }
}
