/**
 * @module server/http-drain
 * REST requests in flight, so that shutdown can let them finish: stop accepting, then wait
 * until the last answer is out or `timeoutMs` passed, whichever comes first.
 */
import type { BunServer } from "./transport/bun.ts";

export class HttpDrain {
  private inFlight = 0;
  private onIdle?: () => void;

  /** Counts an asynchronous answer until it settles (synchronous answers need no tracking). */
  track(response: Promise<Response>): Promise<Response> {
    this.inFlight += 1;
    return response.finally(() => {
      if (--this.inFlight === 0) this.onIdle?.();
    });
  }

  /** No new connections; requests already being answered complete (at most `timeoutMs`). */
  async drain(server: BunServer, timeoutMs: number): Promise<void> {
    void server.stop(false);
    if (this.inFlight === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => (this.onIdle = resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
