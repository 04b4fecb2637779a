/**
 * @module server/http-drain
 * REST requests during shutdown (own server only). From the start of shutdown new requests and
 * upgrades are refused with 503 `shutting_down` (retryable, `Connection: close`); requests
 * already being answered finish (at most `timeoutMs`). The listener stays open until the end:
 * Bun's `stop(false)` resets connections that have no request in progress yet, so a request
 * sent just before it would be reset instead of refused (issue 14). After the sockets closed,
 * `refuseUntilQuiet` keeps reading and refusing until no request came for `quietMs`.
 */
import { errorBody } from "./api/errors.ts";

export class HttpDrain {
  private inFlight = 0;
  private onIdle?: () => void;
  private refusing = false;
  private lastRefusalAt = 0;

  constructor(
    private readonly quietMs = 100,
    private readonly refusalMaxMs = 1000,
  ) {}

  /** Counts an asynchronous answer until it settles (synchronous answers need no tracking). */
  track(response: Promise<Response>): Promise<Response> {
    this.inFlight += 1;
    return response.finally(() => {
      if (--this.inFlight === 0) this.onIdle?.();
    });
  }

  /** The answer to a request that arrives once shutdown has begun, or undefined before. */
  refusal(): Response | undefined {
    if (!this.refusing) return undefined;
    this.lastRefusalAt = Date.now();
    return Response.json(errorBody("shutting_down", "Server shutting down"), { status: 503, headers: { connection: "close", "retry-after": "1" } });
  }

  /** Refuses new requests from now on; resolves when those in flight finished (at most `timeoutMs`). */
  async drain(timeoutMs: number): Promise<void> {
    this.refusing = true;
    if (this.inFlight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => (this.onIdle = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Resolves once no request was refused for `quietMs` (at most `refusalMaxMs` from now). */
  async refuseUntilQuiet(): Promise<void> {
    const deadline = Date.now() + this.refusalMaxMs;
    this.lastRefusalAt = Math.max(this.lastRefusalAt, Date.now());
    for (let quiet = 0; quiet < this.quietMs && Date.now() < deadline; quiet = Date.now() - this.lastRefusalAt) {
      await new Promise((resolve) => setTimeout(resolve, this.quietMs - quiet));
    }
  }
}
