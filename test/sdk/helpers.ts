/**
 * Timed waits and recorders for SDK tests: every wait fails with a label after its timeout
 * instead of sleeping a fixed time.
 */
import { createClient, type SwitchboardClient } from "../../shared/client/index.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import type { ClientState, CloseEvent, JoinResult, ServerFrame } from "../../shared/client/index.ts";

/** Resolves with the first truthy value of `check`, polled every 10 ms. */
export function waitFor<T>(check: () => T | undefined | null | false, timeoutMs = 5000, label = "condition"): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      let value: T | undefined | null | false;
      try {
        value = check();
      } catch (err) {
        return reject(err);
      }
      if (value) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

/** Resolves when `check` stays false for `ms` (for "nothing happens" assertions); rejects as soon as it turns true. */
export function staysFalse(check: () => boolean, ms: number, label = "condition"): Promise<void> {
  return new Promise((resolve, reject) => {
    const until = Date.now() + ms;
    const poll = () => {
      if (check()) return reject(new Error(`${label} happened`));
      if (Date.now() >= until) return resolve();
      setTimeout(poll, 10);
    };
    poll();
  });
}

/** Everything a client reports, with timestamps. */
export class Recorder {
  readonly states: Array<{ state: ClientState; at: number }> = [];
  readonly closes: Array<CloseEvent & { at: number }> = [];
  readonly frames: ServerFrame[] = [];
  readonly rejoins: JoinResult[] = [];

  constructor(readonly client: SwitchboardClient<any>) {
    client.on("state", ({ state }) => this.states.push({ state, at: Date.now() }));
    client.on("close", (e) => this.closes.push({ ...e, at: Date.now() }));
    client.on("rejoin", (r) => this.rejoins.push(r));
    client.onAny((_event, _data, frame) => this.frames.push(frame));
  }

  count(state: ClientState): number {
    return this.states.filter((s) => s.state === state).length;
  }

  /** Frames of `event` received so far. */
  events(event: string): ServerFrame[] {
    return this.frames.filter((f) => f.event === event);
  }

  waitForFrame(event: string, match: (data: any) => boolean = () => true, timeoutMs = 5000): Promise<ServerFrame> {
    return waitFor(() => this.frames.find((f) => f.event === event && match(f.data)), timeoutMs, `frame "${event}"`);
  }

  waitForRejoin(occurrence = 1, timeoutMs = 5000): Promise<JoinResult> {
    return waitFor(() => this.rejoins[occurrence - 1], timeoutMs, `rejoin #${occurrence}`);
  }

  waitForState(state: ClientState, occurrence = 1, timeoutMs = 5000): Promise<void> {
    return waitFor(() => this.count(state) >= occurrence, timeoutMs, `state "${state}" #${occurrence}`).then(() => undefined);
  }
}

// ---- per-test resources: servers and clients a test made are stopped after it -------------

const cleanups: Array<() => unknown> = [];

/** Registers something to undo after the current test (register `afterEach(runCleanup)` per file). */
export function deferCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** Runs the registered cleanups, newest first. */
export async function runCleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn();
}

/** A real server for one test (rooms `room-*` allowed), stopped after it. */
export async function sdkServer(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer({ allowedRooms: ["room-*"], ...options });
  deferCleanup(() => s.stop());
  return s;
}

/** An SDK client for one test, closed after it. */
export function sdkClient(options: Parameters<typeof createClient>[0]): SwitchboardClient {
  const c = createClient(options);
  deferCleanup(() => c.close());
  return c;
}
