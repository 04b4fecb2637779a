/**
 * @module server/cluster/runtime
 * Chooses and wires the cluster view for a broker. A broker with commands (Redis) gets the
 * Redis view: presence publishing, the presence reader, operator commands over `sb:cmd:*`, the
 * cluster admin event feed, the instance watch and the audit log in Redis. Any other broker
 * (memory) gets the single-instance LocalView and an in-memory audit log.
 *
 * Use: `const cluster = createClusterRuntime(broker, o)`; build the hub on `cluster.broker`
 * (which routes the `sb:` control channels to this module, away from the hub's cluster link);
 * `cluster.attach(hub, rates)` gives the view; `start()` after the hub started, `stop()` before
 * the hub shuts down (so the presence records can be removed while Redis is still connected).
 */
import { MemoryAuditLog, type AuditLog } from "../audit/log.ts";
import type { Broker } from "../broker/broker.ts";
import { supportsCommands, type CommandCapable } from "../broker/commands.ts";
import type { Hub } from "../core/hub.ts";
import type { Logger } from "../core/types.ts";
import { EventFeed, type AdminSink } from "./event-feed.ts";
import { InstanceWatch } from "./instance-watch.ts";
import { EVENTS_CHANNEL } from "./keys.ts";
import { LocalView } from "./local-view.ts";
import { PresenceReader } from "./presence-reader.ts";
import { PresencePublisher } from "./presence.ts";
import type { RateMeter } from "./rates.ts";
import { RedisAuditLog } from "./redis-audit.ts";
import { RedisView } from "./redis-view.ts";
import { RemoteCommands } from "./remote-commands.ts";
import { ControlRouter } from "./router.ts";
import type { ClusterView } from "./view.ts";

/**
 * After Redis comes back, instances reconnect up to the broker's backoff cap (2 s) apart; an instance is not reported down before it had that long to republish.
 */
const RECONNECT_SPREAD_MS = 3000;

export interface ClusterRuntimeOptions {
  instanceId: string;
  /** Lifetime of presence records (an instance that dies vanishes within it). */
  presenceTtlMs: number;
  log: Logger;
}

export interface ClusterRuntime {
  /** The broker to build the hub on. */
  readonly broker: Broker;
  readonly audit: AuditLog;
  /** Creates the view over this hub (once). */
  attach(hub: Hub, rates: RateMeter): ClusterView;
  /** Other instances' admin events and instance up/down go to this admin channel. */
  forwardTo(sink: AdminSink): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createClusterRuntime(broker: Broker, o: ClusterRuntimeOptions): ClusterRuntime {
  return supportsCommands(broker) ? new RedisClusterRuntime(broker, o) : new LocalClusterRuntime(broker);
}

class LocalClusterRuntime implements ClusterRuntime {
  readonly audit = new MemoryAuditLog();

  constructor(readonly broker: Broker) {}

  attach(hub: Hub, rates: RateMeter): ClusterView {
    return new LocalView(hub, rates);
  }

  forwardTo(): void {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

interface Parts {
  presence: PresencePublisher;
  commands: RemoteCommands;
  feed: EventFeed;
  watch: InstanceWatch;
  hub: Hub;
}

class RedisClusterRuntime implements ClusterRuntime {
  readonly broker: Broker;
  readonly audit: AuditLog;
  private parts?: Parts;

  constructor(
    private readonly redis: Broker & CommandCapable,
    private readonly o: ClusterRuntimeOptions,
  ) {
    this.broker = new ControlRouter(redis, (channel, message) => this.receive(channel, message));
    this.audit = new RedisAuditLog(redis, o.log);
  }

  attach(hub: Hub, rates: RateMeter): ClusterView {
    if (this.parts) throw new Error("cluster runtime already attached to a hub");
    const { instanceId, presenceTtlMs, log } = this.o;
    const redis = this.redis;
    const local = new LocalView(hub, rates);
    const presence = new PresencePublisher({ hub, broker: redis, local, instanceId, ttlMs: presenceTtlMs, log });
    const reader = new PresenceReader(redis, instanceId);
    const commands = new RemoteCommands({ instanceId, broker: redis, local, log });
    const feed = new EventFeed({ instanceId, broker: redis });
    const view = new RedisView({ hub, broker: redis, local, reader, commands, log });
    const watch = new InstanceWatch({
      broker: redis, read: () => reader.instances(), report: (e) => feed.deliver(e), intervalMs: presence.refreshMs, graceMs: presenceTtlMs + RECONNECT_SPREAD_MS,
    });
    this.parts = { presence, commands, feed, watch, hub };
    return view;
  }

  forwardTo(sink: AdminSink): void {
    this.parts?.feed.forwardTo(sink);
  }

  async start(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    parts.presence.start();
    parts.feed.start(parts.hub.events);
    parts.watch.start();
  }

  async stop(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    parts.watch.stop();
    parts.feed.stop();
    await parts.presence.stop();
  }

  private receive(channel: string, message: string): void {
    if (channel === EVENTS_CHANNEL) this.parts?.feed.receive(message);
    else this.parts?.commands.receive(channel, message);
  }
}
