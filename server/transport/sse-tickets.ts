/**
 * @module server/transport/sse-tickets
 * Single-use tickets for the SSE stream (SPEC §15): `POST <SSE_PATH>/ticket` trades the client
 * JWT for a random ticket, and `GET <SSE_PATH>?ticket=` redeems it once, so the JWT never
 * travels in a URL (where proxies and access logs keep it).
 *
 * With Redis the ticket is stored with `SET … PX` and redeemed by one Lua script that reads and
 * deletes it atomically, so a ticket made on one instance is redeemable on any other, and only
 * once even when two instances race for it. Without Redis: a bounded in-memory map with expiry.
 *
 * What a ticket holds: the JWT itself (the stream's session authenticates with it through the
 * same flow as a WebSocket `authenticate`), the rooms asked for and recovery positions. In Redis
 * that is a credential at rest for at most the ticket's lifetime, under a key only its holder knows.
 */
import { randomBytes } from "node:crypto";
import type { CommandCapable } from "../broker/commands.ts";

export interface TicketPayload {
  token: string;
  rooms: string[];
  /** History-room positions to recover from (room → last seq seen). */
  recover: Record<string, number>;
}

export interface TicketStore {
  /** Stores the payload under a fresh ticket valid for `ttlMs`; resolves to the ticket. */
  issue(payload: TicketPayload, ttlMs: number): Promise<string>;
  /** The payload once; undefined when unknown, already used or expired. */
  redeem(ticket: string): Promise<TicketPayload | undefined>;
}

/** 32 random bytes, base64url: unguessable, and URL-safe without escaping. */
function newTicket(): string {
  return randomBytes(32).toString("base64url");
}

/** A ticket as a client sends it: anything else is not looked up at all. */
export function isTicketShaped(text: string | null | undefined): text is string {
  return typeof text === "string" && /^[A-Za-z0-9_-]{43}$/.test(text);
}

/** Outstanding tickets kept at most; beyond it the oldest is forgotten (it can no longer be redeemed). */
export const MEMORY_TICKET_LIMIT = 10_000;

export class MemoryTickets implements TicketStore {
  /** Insertion order is expiry order for one TTL, so the oldest entry is the first to evict. */
  private readonly tickets = new Map<string, { payload: TicketPayload; expiresAt: number }>();

  constructor(
    private readonly limit = MEMORY_TICKET_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(payload: TicketPayload, ttlMs: number): Promise<string> {
    this.evictExpired();
    while (this.tickets.size >= this.limit) this.tickets.delete(this.tickets.keys().next().value!);
    const ticket = newTicket();
    this.tickets.set(ticket, { payload, expiresAt: this.now() + ttlMs });
    return ticket;
  }

  async redeem(ticket: string): Promise<TicketPayload | undefined> {
    const entry = this.tickets.get(ticket);
    if (!entry) return undefined;
    this.tickets.delete(ticket);
    return entry.expiresAt > this.now() ? entry.payload : undefined;
  }

  get size(): number {
    return this.tickets.size;
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [ticket, entry] of this.tickets) {
      if (entry.expiresAt > now) break;
      this.tickets.delete(ticket);
    }
  }
}

/** GET and DEL in one step (GETDEL needs Redis 6.2; this works on every version and on Cluster). */
const TAKE = `
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v`;

export class RedisTickets implements TicketStore {
  constructor(private readonly redis: CommandCapable) {}

  private key(ticket: string): string {
    return `sb:sse:ticket:${ticket}`;
  }

  async issue(payload: TicketPayload, ttlMs: number): Promise<string> {
    const ticket = newTicket();
    await this.redis.command("SET", this.key(ticket), JSON.stringify(payload), "PX", ttlMs);
    return ticket;
  }

  async redeem(ticket: string): Promise<TicketPayload | undefined> {
    const raw = await this.redis.command("EVAL", TAKE, 1, this.key(ticket));
    if (raw === null || raw === undefined) return undefined;
    return JSON.parse(String(raw)) as TicketPayload;
  }
}
