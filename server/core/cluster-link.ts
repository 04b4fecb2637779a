/**
 * @module server/core/cluster-link
 * The cluster protocol over a broker: encodes targets as Ignis envelopes, validates what
 * arrives, drops this instance's own echoes, and hands the rest to local delivery. Remote
 * messages are only ever delivered locally, never re-published, so there are no loops.
 */
import { parseJsonObject } from "../../shared/json.ts";
import type { ClusterEnvelope } from "../../shared/protocol.ts";
import type { Broker } from "../broker/broker.ts";
import { fromEnvelope, toEnvelope, type Target } from "./target.ts";
import type { Logger } from "./types.ts";
import type { OutboundFrame } from "../../shared/protocol.ts";

export class ClusterLink {
  private publishFailing = false;

  constructor(
    readonly serverId: string,
    readonly broker: Broker,
    private readonly log: Logger,
    private readonly deliver: (target: Target, frame: OutboundFrame) => number,
    private readonly observe: (ms: number, ok: boolean) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.broker.onMessage((channel, message) => this.receive(channel, message));
    await this.broker.start();
  }

  /**
   * Ships a target to the other instances. Never rejects: a failed publish is logged once per
   * change of state (not per message) and reported as `false`; local delivery already happened.
   */
  async publish(target: Target, event: string, data: unknown, seq?: number): Promise<boolean> {
    if (this.broker.isolated) return true;
    const { channel, envelope } = toEnvelope(this.serverId, target, event, data);
    if (seq !== undefined) envelope.seq = seq;
    const started = performance.now();
    try {
      await this.broker.publish(channel, JSON.stringify(envelope));
      this.observe(performance.now() - started, true);
      if (this.publishFailing) this.log.info({ broker: this.broker.kind }, "broker publish recovered");
      this.publishFailing = false;
      return true;
    } catch (err) {
      this.observe(performance.now() - started, false);
      if (!this.publishFailing) this.log.error({ broker: this.broker.kind, err: String(err) }, "broker publish failed; cross-instance delivery degraded");
      this.publishFailing = true;
      return false;
    }
  }

  receive(channel: string, message: string): void {
    const envelope = parseEnvelope(message);
    if (!envelope) {
      this.log.warn({ channel }, "invalid cluster envelope dropped");
      return;
    }
    if (envelope.serverId === this.serverId) return;
    const target = fromEnvelope(envelope);
    if (!target) return;
    const frame: OutboundFrame = envelope.data === undefined ? { event: envelope.event } : { event: envelope.event, data: envelope.data };
    if ("room" in target && typeof envelope.seq === "number") Object.assign(frame, { seq: envelope.seq, room: target.room });
    this.deliver(target, frame);
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}

function parseEnvelope(message: string): ClusterEnvelope | undefined {
  const env = parseJsonObject<Partial<ClusterEnvelope>>(message);
  if (!env) return undefined;
  if (typeof env.serverId !== "string" || typeof env.event !== "string" || env.event.length === 0) return undefined;
  return env as ClusterEnvelope;
}
