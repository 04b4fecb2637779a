/**
 * @module server/core/registry
 * The local index of clients, users and rooms: the single source of truth for "who is here and
 * in which rooms" on this instance. It does no I/O and knows nothing of delivery; fan-out reads
 * it. Own-id rooms (a room named after a client's id, joined at authentication for Ignis
 * compatibility) live only in the client's `rooms` set, never in the room index.
 *
 * Each fact is kept here once: a client's state (and the index of authenticated clients that
 * follows it), whether it is served by direct sends, whether it is encrypted.
 */
import type { ClientData } from "../../shared/admin.ts";
import { WebSocketClientStates as States, type ClientState } from "../../shared/constants.ts";

/**
 * The own-id rule (Ignis): every client is in a room named after its id, from authentication
 * until it closes. That room addresses the client alone: it cannot be left, is not listed among
 * the client's rooms, and no other client may join it.
 */
export function isOwnIdRoom(clientId: string, room: string): boolean {
  return room === clientId;
}

/**
 * A client's own rooms: the few-members subset of a Set's API (has/add/delete/size/iteration)
 * over a plain array. A client holds a handful of rooms (own id + default rooms), where a
 * linear scan is as fast as hashing, and a Set of 2–3 strings costs 256 B of live heap in
 * Bun/JSC against ~80 B for this object and its array (bench/profile-connection.ts and the
 * memory notes in README Benchmarks): about 0.17 KiB of every idle connection.
 */
export class RoomList implements Iterable<string> {
  private readonly items: string[] = [];

  get size(): number {
    return this.items.length;
  }

  has(room: string): boolean {
    return this.items.includes(room);
  }

  /** Adds `room` unless present (like `Set.add`). */
  add(room: string): this {
    if (!this.items.includes(room)) this.items.push(room);
    return this;
  }

  /** Removes `room`; true when it was there (like `Set.delete`). */
  delete(room: string): boolean {
    const at = this.items.indexOf(room);
    if (at < 0) return false;
    this.items.splice(at, 1);
    return true;
  }

  /** Iterates a snapshot, so a loop may leave rooms while it walks them. */
  [Symbol.iterator](): Iterator<string> {
    return this.items.slice()[Symbol.iterator]();
  }
}

/**
 * A client as the registry keeps it: the public shape (`ClientData`, shared with the API and the
 * dashboard) with its rooms as a RoomList that includes the internal own-id room, and `info`,
 * presence info from the credential (SPEC §12), which is not part of the client listing.
 */
export type ClientRecord = Omit<ClientData, "rooms"> & { rooms: RoomList; info?: Record<string, unknown> };

export class Registry {
  private readonly clients = new Map<string, ClientRecord>();
  /**
   * userId → its one client id, or a Set once it has several. Most users hold one connection,
   * and a Set per user cost about 0.4 KiB of an idle connection (bench/scenarios/memory.ts).
   */
  private readonly users = new Map<string, string | Set<string>>();
  private readonly rooms = new Map<string, Set<string>>();
  /**
   * Members served one by one instead of through the room's runtime topic, per room: direct
   * clients (always), and sessions still replaying a room's history (until they catch up).
   */
  private readonly directRooms = new Map<string, Set<string>>();
  /**
   * Authenticated clients served by direct sends, never through runtime topics: encrypted
   * sessions (each frame is encoded for its session) and connections that cannot subscribe.
   */
  private readonly directClients = new Set<string>();
  /** Follows `record.state`: changed only by {@link setState} and {@link remove}. */
  private readonly authenticatedIds = new Set<string>();
  private encryptedCount = 0;

  get size(): number {
    return this.clients.size;
  }

  add(record: ClientRecord): boolean {
    if (this.clients.has(record.id)) return false;
    this.clients.set(record.id, record);
    return true;
  }

  get(id: string): ClientRecord | undefined {
    return this.clients.get(id);
  }

  has(id: string): boolean {
    return this.clients.has(id);
  }

  all(): IterableIterator<ClientRecord> {
    return this.clients.values();
  }

  /** Removes a client from every index; returns the record (with its rooms) or undefined. */
  remove(id: string): ClientRecord | undefined {
    const record = this.clients.get(id);
    if (!record) return undefined;
    for (const room of record.rooms) this.dropFromRoom(id, room);
    if (record.userId !== undefined) this.unindexUser(id, record.userId);
    this.directClients.delete(id);
    this.authenticatedIds.delete(id);
    if (record.encrypted) this.encryptedCount -= 1;
    this.clients.delete(id);
    return record;
  }

  indexUser(id: string, userId: string): void {
    const record = this.clients.get(id);
    if (!record) return;
    record.userId = userId;
    const held = this.users.get(userId);
    if (held === undefined) this.users.set(userId, id);
    else if (typeof held !== "string") held.add(id);
    else if (held !== id) this.users.set(userId, new Set([held, id]));
  }

  private unindexUser(id: string, userId: string): void {
    const held = this.users.get(userId);
    if (held === id) this.users.delete(userId);
    else if (held !== undefined && typeof held !== "string") {
      held.delete(id);
      if (held.size === 1) this.users.set(userId, held.values().next().value!);
      else if (held.size === 0) this.users.delete(userId);
    }
  }

  /** The client's state; the index of authenticated clients follows it. */
  setState(id: string, state: ClientState): void {
    const record = this.clients.get(id);
    if (!record) return;
    record.state = state;
    if (state === States.AUTHENTICATED) this.authenticatedIds.add(id);
    else this.authenticatedIds.delete(id);
  }

  isAuthenticated(id: string): boolean {
    return this.authenticatedIds.has(id);
  }

  authenticated(): ReadonlySet<string> {
    return this.authenticatedIds;
  }

  /** Records that the client's frames are encrypted from `at` on (one-way). */
  markEncrypted(id: string, at: number): void {
    const record = this.clients.get(id);
    if (!record || record.encrypted) return;
    record.encrypted = true;
    record.encryptedAt = at;
    this.encryptedCount += 1;
  }

  /** Serves the client by direct sends from now on, in every room (one-way). */
  markDirectClient(id: string): void {
    const record = this.clients.get(id);
    if (!record || this.directClients.has(id)) return;
    this.directClients.add(id);
    for (const room of record.rooms) if (!isOwnIdRoom(id, room)) addToIndex(this.directRooms, room, id);
  }

  isDirectClient(id: string): boolean {
    return this.directClients.has(id);
  }

  /** Serves this member of `room` one by one (history replay in progress). */
  markDirect(id: string, room: string): void {
    if (this.clients.get(id)?.rooms.has(room)) addToIndex(this.directRooms, room, id);
  }

  /** Back to the topic for `room`, unless the client is a direct client (always direct). */
  unmarkDirect(id: string, room: string): void {
    if (!this.directClients.has(id)) removeFromIndex(this.directRooms, room, id);
  }

  /** Adds membership; returns true when the client was not yet in the room. */
  join(id: string, room: string): boolean {
    const record = this.clients.get(id);
    if (!record || record.rooms.has(room)) return false;
    record.rooms.add(room);
    if (!isOwnIdRoom(id, room)) {
      addToIndex(this.rooms, room, id);
      if (this.directClients.has(id)) addToIndex(this.directRooms, room, id);
    }
    return true;
  }

  /** Removes membership; returns true when the client was in the room. */
  leave(id: string, room: string): boolean {
    const record = this.clients.get(id);
    if (!record || !record.rooms.has(room)) return false;
    record.rooms.delete(room);
    this.dropFromRoom(id, room);
    return true;
  }

  membersOf(room: string): ReadonlySet<string> | undefined {
    return this.rooms.get(room);
  }

  directMembersOf(room: string): ReadonlySet<string> | undefined {
    return this.directRooms.get(room);
  }

  directMembers(): ReadonlySet<string> {
    return this.directClients;
  }

  get encrypted(): number {
    return this.encryptedCount;
  }

  /** A room name that is the own-id room of a client here (a target for that client alone). */
  isClientRoom(room: string): boolean {
    return this.clients.has(room);
  }

  /** The user's clients here (a fresh Set for a user with one client: do not keep it). */
  clientsOfUser(userId: string): ReadonlySet<string> | undefined {
    const held = this.users.get(userId);
    return typeof held === "string" ? new Set([held]) : held;
  }

  roomSizes(): IterableIterator<[string, Set<string>]> {
    return this.rooms.entries();
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get userCount(): number {
    return this.users.size;
  }

  private dropFromRoom(id: string, room: string): void {
    if (isOwnIdRoom(id, room)) return;
    removeFromIndex(this.rooms, room, id);
    removeFromIndex(this.directRooms, room, id);
  }
}

function addToIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (set) set.add(id);
  else index.set(key, new Set([id]));
}

function removeFromIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) index.delete(key);
}
