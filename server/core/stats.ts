/**
 * @module server/core/stats
 * Counters of one instance: messages and bytes in/out, auth failures by reason, close codes.
 * Cheap enough for the hot path (plain number increments); rates are derived by whoever reads
 * them at intervals.
 */
export class HubStats {
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  /** Broker publishes: how many, total and worst duration (ms), failures. */
  publishes = 0;
  publishMsTotal = 0;
  publishMsMax = 0;
  publishFailures = 0;
  readonly authFailures = new Map<string, number>();
  readonly closeCodes = new Map<number, number>();

  countIn(bytes: number): void {
    this.messagesIn += 1;
    this.bytesIn += bytes;
  }

  countOut(frames: number): void {
    this.messagesOut += frames;
  }

  observePublish(ms: number, ok: boolean): void {
    this.publishes += 1;
    this.publishMsTotal += ms;
    if (ms > this.publishMsMax) this.publishMsMax = ms;
    if (!ok) this.publishFailures += 1;
  }

  countAuthFailure(reason: string): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1);
  }

  countClose(code: number): void {
    this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
  }
}
