/**
 * @module server/cluster/view
 * The cluster view: what the REST API, the admin channel and the library's queries read, and
 * the operator commands they send. Answers describe the whole cluster: the local view (one
 * instance, memory broker) and the Redis view implement the same interface.
 *
 * Pagination contract: items are ordered by a stable key (client id, room name) and a cursor is
 * the last key returned, so paging while clients come and go never repeats an item and never
 * skips one that existed for the whole walk.
 */
import type { InstanceData, PageData, StatsData } from "../../shared/admin.ts";
import type { ClientFilter, ClientInfo, RoomInfo } from "../core/queries.ts";
import type { Target } from "../core/target.ts";

export type InstanceInfo = InstanceData;

export type ClusterStats = StatsData;

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export type Page<T> = PageData<T>;

export interface RoomDetail {
  name: string;
  size: number;
  clients: ClientInfo[];
}

export interface ClusterView {
  listClients(filter: ClientFilter, page: PageRequest): Promise<Page<ClientInfo>>;
  getClient(id: string): Promise<ClientInfo | undefined>;
  listRooms(q: string | undefined, page: PageRequest): Promise<Page<RoomInfo>>;
  getRoom(name: string): Promise<RoomDetail | undefined>;
  instances(): Promise<InstanceInfo[]>;
  stats(): Promise<ClusterStats>;
  /** Sockets a target addresses cluster-wide (for `dryRun` and emit reports). */
  countRecipients(target: Target): Promise<number>;
  /** Closes the client with 4007 wherever it is; false when no instance holds it. */
  disconnect(clientId: string): Promise<boolean>;
  /** Joins on the client's behalf; undefined when no instance holds it. */
  joinRooms(clientId: string, rooms: string[]): Promise<string[] | undefined>;
  /** Leaves on the client's behalf; undefined when no instance holds it. */
  leaveRoom(clientId: string, room: string): Promise<boolean | undefined>;
}

/** Cursors are opaque to clients: the base64url of the last key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  return Buffer.from(cursor, "base64url").toString("utf8");
}

/** One page of `items` (any order in, sorted by `key` out) after the cursor. */
export function paginate<T>(items: T[], key: (item: T) => string, page: PageRequest): Page<T> {
  const after = decodeCursor(page.cursor);
  const sorted = items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const start = after === undefined ? 0 : firstAfter(sorted, key, after);
  const slice = sorted.slice(start, start + page.limit);
  const more = start + page.limit < sorted.length;
  return { items: slice, total: sorted.length, nextCursor: more && slice.length > 0 ? encodeCursor(key(slice[slice.length - 1]!)) : null };
}

function firstAfter<T>(sorted: T[], key: (item: T) => string, after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (key(sorted[mid]!) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
