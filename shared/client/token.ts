/**
 * @module shared/client/token
 * Where the client's token comes from. A string is used as is, forever. A function is called for
 * the first connection and whenever a fresh token is needed (refresh before `exp`, after 4009,
 * when the cached one has expired); otherwise its last token is reused, so a reconnect storm
 * does not hammer the application's token endpoint.
 */
import type { TokenInput } from "./types.ts";

/**
 * The `exp` claim of a JWT in epoch milliseconds, read without verifying anything (only the
 * server can verify); undefined when the token is not a JWT or has no numeric `exp`.
 */
export function decodeJwtExp(token: string): number | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export interface IssuedToken {
  token: string;
  /** True when the function was called for this token just now (not a cached one). */
  fresh: boolean;
}

export class TokenSource {
  private cached?: string;

  constructor(private readonly input: TokenInput) {
    if (typeof input !== "string" && typeof input !== "function") throw new TypeError("switchboard client: token must be a string or a function");
  }

  /** Whether new tokens can be had (the token is a function). */
  get renewable(): boolean {
    return typeof this.input === "function";
  }

  /** The last token in use. */
  get current(): string | undefined {
    return typeof this.input === "string" ? this.input : this.cached;
  }

  /**
   * A token for a connection: the cached one unless `force`, none is cached yet, or it has
   * expired at `now` (server time as best known).
   */
  async get(now: number, force = false): Promise<IssuedToken> {
    if (typeof this.input === "string") return { token: this.input, fresh: false };
    const exp = this.cached === undefined ? undefined : decodeJwtExp(this.cached);
    if (!force && this.cached !== undefined && (exp === undefined || exp > now)) return { token: this.cached, fresh: false };
    this.cached = await this.fetch();
    return { token: this.cached, fresh: true };
  }

  /** Calls the token function without caching the result (a refresh caches it once accepted). */
  async fetch(): Promise<string> {
    if (typeof this.input === "string") return this.input;
    const token = await this.input();
    if (typeof token !== "string" || token.length === 0) throw new TypeError("switchboard client: the token function returned no token");
    return token;
  }

  /** Records a token the server accepted through `refresh`. */
  accept(token: string): void {
    if (typeof this.input !== "string") this.cached = token;
  }

  /** Drops the cached token so that the next `get` calls the function. */
  invalidate(): void {
    this.cached = undefined;
  }
}
