/**
 * @module server/cluster/instance-watch
 * Notices other instances appearing and disappearing, by polling the live instance records
 * every `intervalMs`, and reports `instance:up` / `instance:down` to the local admin channel.
 * Every instance watches for itself, so the events need no pub/sub.
 *
 * Contract: the first successful read only learns who is there (the admin snapshot lists them);
 * nothing is reported while Redis does not answer; right after this instance's broker comes
 * back, an instance that has not been seen since is not reported down for `graceMs` (about one
 * TTL plus the reconnect spread), since every instance is busy republishing its presence into a
 * Redis that may have restarted empty. Once seen again, its disappearance counts at once.
 */
import type { StreamEvent } from "../../shared/admin.ts";
import type { Broker } from "../broker/broker.ts";
import type { InstanceMeta } from "./keys.ts";

export interface InstanceWatchOptions {
  broker: Broker;
  read(): Promise<InstanceMeta[]>;
  report(event: StreamEvent): void;
  intervalMs: number;
  graceMs: number;
}

export class InstanceWatch {
  private known?: Set<string>;
  private graceUntil = 0;
  /** Instances known before the broker came back and not seen since. */
  private unconfirmed = new Set<string>();
  private timer?: ReturnType<typeof setInterval>;
  private polling = false;

  constructor(private readonly o: InstanceWatchOptions) {}

  start(): void {
    if (this.timer) return;
    this.o.broker.onHealth((up) => {
      if (!up) return;
      this.graceUntil = Date.now() + this.o.graceMs;
      this.unconfirmed = new Set(this.known);
    });
    this.timer = setInterval(() => void this.poll(), this.o.intervalMs);
    void this.poll();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.polling || !this.o.broker.connected) return;
    this.polling = true;
    try {
      this.compare(new Set((await this.o.read()).map((m) => m.id)));
    } catch {
      // Redis did not answer: nothing is known to have changed.
    } finally {
      this.polling = false;
    }
  }

  private compare(live: Set<string>): void {
    const known = this.known;
    this.known = live;
    if (!known) return;
    const at = Date.now();
    for (const id of live) {
      this.unconfirmed.delete(id);
      if (!known.has(id)) this.o.report({ event: "instance:up", data: { instanceId: id, at } });
    }
    for (const id of known) {
      if (live.has(id)) continue;
      if (at < this.graceUntil && this.unconfirmed.has(id)) live.add(id); // presumed up until the grace ends
      else this.o.report({ event: "instance:down", data: { instanceId: id, at } });
    }
  }
}
