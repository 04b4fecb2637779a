/**
 * @module server/cluster/rates
 * Messages per second in and out, from the hub's monotonic counters sampled once a second.
 */
import type { HubStats } from "../core/stats.ts";

export class RateMeter {
  private lastIn: number;
  private lastOut: number;
  private lastAt: number;
  private rates = { inPerSec: 0, outPerSec: 0 };

  constructor(private readonly stats: HubStats) {
    this.lastIn = stats.messagesIn;
    this.lastOut = stats.messagesOut;
    this.lastAt = Date.now();
  }

  /** Call about once a second. */
  sample(now = Date.now()): void {
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    this.rates = {
      inPerSec: Math.round((this.stats.messagesIn - this.lastIn) / seconds),
      outPerSec: Math.round((this.stats.messagesOut - this.lastOut) / seconds),
    };
    this.lastIn = this.stats.messagesIn;
    this.lastOut = this.stats.messagesOut;
    this.lastAt = now;
  }

  current(): { inPerSec: number; outPerSec: number } {
    return this.rates;
  }
}
