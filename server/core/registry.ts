/**
 * @module server/core/registry
 * The local index of clients, users and rooms: the single source of truth for "who is here and
 * in which rooms" on this instance. It does no I/O and knows nothing of delivery; fan-out reads
 * it. Own-id rooms (a room named after a client's id, joined at authentication for Ignis
 * compatibility) live only in the client's `rooms` set, never in the room index.
 */
import type { ClientData } from "../../shared/admin.ts";

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
 * dashboard) with its rooms as a RoomList that includes the internal own-id room.
 */
export type ClientRecord = Omit<ClientData, "rooms"> & { rooms: RoomList };

export class Registry {
  private readonly clients = new Map<string, ClientRecord>();
  /**
   * userId → its one client id, or a Set once it has several. Most users hold one connection,
   * and a Set per user cost about 0.4 KiB of an idle connection (bench/scenarios/memory.ts).
   */
  private readonly users = new Map<string, string | Set<string>>();
  private readonly rooms = new Map<string, Set<string>>();
  /**
   * Members served one by one instead of through the room's runtime topic, per room: encrypted
   * sessions (always), and sessions still replaying a room's history (until they catch up).
   */
  private readonly directRooms = new Map<string, Set<string>>();
  /** Authenticated clients that need per-client encoding. */
  private readonly codecClients = new Set<string>();

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
    this.codecClients.delete(id);
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

  /** Marks the client as needing per-client encoding from now on (one-way). */
  markCodec(id: string): void {
    const record = this.clients.get(id);
    if (!record || this.codecClients.has(id)) return;
    this.codecClients.add(id);
    for (const room of record.rooms) if (room !== id) addToIndex(this.directRooms, room, id);
  }

  isCodec(id: string): boolean {
    return this.codecClients.has(id);
  }

  /** Serves this member of `room` one by one (history replay in progress). */
  markDirect(id: string, room: string): void {
    if (this.clients.get(id)?.rooms.has(room)) addToIndex(this.directRooms, room, id);
  }

  /** Back to the topic for `room`, unless the client is encrypted (always direct). */
  unmarkDirect(id: string, room: string): void {
    if (!this.codecClients.has(id)) removeFromIndex(this.directRooms, room, id);
  }

  /** Adds membership; returns true when the client was not yet in the room. */
  join(id: string, room: string): boolean {
    const record = this.clients.get(id);
    if (!record || record.rooms.has(room)) return false;
    record.rooms.add(room);
    if (room !== id) {
      addToIndex(this.rooms, room, id);
      if (this.codecClients.has(id)) addToIndex(this.directRooms, room, id);
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

  codecMembers(): ReadonlySet<string> {
    return this.codecClients;
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
    if (room === id) return;
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
