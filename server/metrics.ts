/**
 * @module server/metrics
 * `GET /metrics` in Prometheus text format (prom-client, one registry per server so several
 * instances can live in one process). Gauges and counters are read from the hub at scrape time:
 * nothing is added to the message hot path beyond the hub's own integer counters.
 */
import client from "prom-client";
import type { Broker } from "./broker/broker.ts";
import type { Hub } from "./core/hub.ts";

export interface MetricsSources {
  hub: Hub;
  broker: Broker;
  adminConnections: () => number;
}

/** Keeps a prom-client counter equal to a monotonic source value. */
function mirroredCounter(registry: client.Registry, name: string, help: string, read: () => number): void {
  let last = 0;
  new client.Counter({
    name, help, registers: [registry],
    collect() {
      const now = read();
      if (now > last) this.inc(now - last);
      last = now;
    },
  });
}

function labelledCounter(registry: client.Registry, name: string, help: string, label: string, read: () => Map<string | number, number>): void {
  const last = new Map<string, number>();
  new client.Counter({
    name, help, labelNames: [label], registers: [registry],
    collect() {
      for (const [key, value] of read()) {
        const k = String(key);
        const delta = value - (last.get(k) ?? 0);
        if (delta > 0) this.inc({ [label]: k }, delta);
        last.set(k, value);
      }
    },
  });
}

export function createMetrics({ hub, broker, adminConnections }: MetricsSources): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ instance_id: hub.options.instanceId });
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  new client.Gauge({
    name: "switchboard_connections", help: "Open client connections by state", labelNames: ["state"], registers: [registry],
    collect() {
      const byState = new Map<string, number>([["unauthorized", 0], ["authenticating", 0], ["authenticated", 0]]);
      for (const session of hub.sessions.values()) byState.set(session.state, (byState.get(session.state) ?? 0) + 1);
      for (const [state, n] of byState) this.set({ state }, n);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge("switchboard_sse_connections", "Open Server-Sent Events streams (counted in switchboard_connections too)", () => {
    let n = 0;
    for (const session of hub.sessions.values()) if (session.record.transport === "sse") n += 1;
    return n;
  });
  gauge("switchboard_encrypted_sessions", "Open end-to-end encrypted sessions", () => hub.registry.encryptedCount);
  gauge("switchboard_rooms", "Rooms with at least one local member", () => hub.registry.roomCount);
  gauge("switchboard_users", "Distinct authenticated users connected here", () => hub.registry.userCount);
  gauge("switchboard_admin_connections", "Authenticated admin channel sockets", adminConnections);
  gauge("switchboard_broker_up", "1 while the broker is connected", () => (broker.connected ? 1 : 0));
  gauge("switchboard_broker_publish_seconds_max", "Slowest broker publish since start", () => hub.stats.publishMsMax / 1000);
  mirroredCounter(registry, "switchboard_messages_in_total", "Frames received from clients", () => hub.stats.messagesIn);
  mirroredCounter(registry, "switchboard_bytes_in_total", "Bytes received from clients", () => hub.stats.bytesIn);
  mirroredCounter(registry, "switchboard_messages_out_total", "Frames delivered to clients", () => hub.stats.messagesOut);
  mirroredCounter(registry, "switchboard_broker_publishes_total", "Broker publishes", () => hub.stats.publishes);
  mirroredCounter(registry, "switchboard_broker_publish_failures_total", "Broker publishes that failed", () => hub.stats.publishFailures);
  mirroredCounter(registry, "switchboard_broker_publish_seconds_total", "Time spent in broker publishes", () => hub.stats.publishMsTotal / 1000);
  labelledCounter(registry, "switchboard_auth_failures_total", "Refused authentications by reason", "reason", () => hub.stats.authFailures);
  labelledCounter(registry, "switchboard_close_codes_total", "Closed connections by close code", "code", () => hub.stats.closeCodes);
  return registry;
}
