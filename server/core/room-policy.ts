/**
 * @module server/core/room-policy
 * Room names and who may join what. A name is 1–256 printable characters and must not start
 * with the reserved `ws:` prefix. A client may join a room when it matches one of the instance's
 * `ALLOWED_ROOMS` patterns or one of its credential's `rooms` patterns; a `validateRooms` hook,
 * when given, decides instead (its answer is intersected with what was asked, ignis §11.1 #14).
 * Patterns: `*` matches any run of characters, `{userId}` is replaced by the client's user id
 * (a pattern with the placeholder never matches an anonymous client).
 */
import { RoomNameRules } from "../../shared/constants.ts";

const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

export function isValidRoomName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= RoomNameRules.MAX_LENGTH &&
    !name.startsWith(RoomNameRules.RESERVED_PREFIX) &&
    PRINTABLE.test(name)
  );
}

const USER_PLACEHOLDER = "{userId}";

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function patternToRegex(pattern: string, userId: string | undefined): RegExp | undefined {
  if (pattern.includes(USER_PLACEHOLDER) && userId === undefined) return undefined;
  const parts = pattern.split(USER_PLACEHOLDER).map((part) => part.split("*").map(escapeRegex).join(".*"));
  return new RegExp(`^${parts.join(escapeRegex(userId ?? ""))}$`);
}

/** True when `room` matches any of `patterns` for this user. */
export function matchesAny(room: string, patterns: readonly string[], userId: string | undefined): boolean {
  for (const pattern of patterns) {
    if (pattern === room || pattern === "*") return true;
    if (!pattern.includes("*") && !pattern.includes(USER_PLACEHOLDER)) continue;
    if (patternToRegex(pattern, userId)?.test(room)) return true;
  }
  return false;
}

/** Splits a requested list into names that are well-formed and names that are not. */
export function partitionRoomNames(requested: readonly string[], isForeignClientId: (name: string) => boolean) {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const room of new Set(requested)) {
    if (isValidRoomName(room) && !isForeignClientId(room)) valid.push(room);
    else invalid.push(room);
  }
  return { valid, invalid };
}

/** `matchesAny` over fixed patterns without a user, memoised (the cache is reset when it grows large). */
export class RoomMatcher {
  private readonly hits = new Map<string, boolean>();

  constructor(private readonly patterns: readonly string[]) {}

  matches(room: string): boolean {
    let hit = this.hits.get(room);
    if (hit === undefined) {
      if (this.hits.size > 10_000) this.hits.clear();
      hit = matchesAny(room, this.patterns, undefined);
      this.hits.set(room, hit);
    }
    return hit;
  }
}
