/**
 * @module server/metrics
 * `GET /metrics` in Prometheus text format (prom-client, one registry per server so several
 * instances can live in one process). Gauges and counters are read from the hub at scrape time:
 * nothing is added to the message hot path beyond the hub's own integer counters.
 */
import type { Context } from "hono";
import client from "prom-client";
import { errorBody } from "./api/errors.ts";
import { bearerToken, roleAllows, type RoleResolver } from "./auth/roles.ts";
import type { Broker } from "./broker/broker.ts";
import type { Hub } from "./core/hub.ts";
import type { Webhooks } from "./webhooks/service.ts";

export interface MetricsSources {
  hub: Hub;
  broker: Broker;
  adminConnections: () => number;
  /** Open SSE streams (the SSE transport keeps them); absent with SSE=off. */
  sseConnections?: () => number;
  /** Audit entries dropped because the audit queue was full. */
  auditDropped?: () => number;
  /** Present when WEBHOOK_URLS is set: adds the `switchboard_webhook_*` series. */
  webhooks?: Webhooks;
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

/**
 * `switchboard_webhook_*`, labelled by receiver (URL with credentials redacted). Counters are this
 * instance's work (sum them over instances); `pending` is the receiver's whole queue (cluster-wide
 * with Redis), so take one instance's value or the max, not the sum.
 */
function registerWebhookMetrics(registry: client.Registry, webhooks: Webhooks): void {
  const perReceiver = (name: string, help: string, read: (c: Webhooks["receivers"][number]["counters"]) => number) =>
    labelledCounter(registry, name, help, "receiver", () => new Map(webhooks.receivers.map((r) => [r.shownUrl, read(r.counters)])));
  perReceiver("switchboard_webhook_delivered_total", "Webhook batches delivered (2xx in time)", (c) => c.delivered);
  perReceiver("switchboard_webhook_failed_total", "Webhook batches dropped: retry window over or queue full", (c) => c.expired + c.overflowed);
  perReceiver("switchboard_webhook_overflow_total", "Webhook batches dropped because the bounded queue was full", (c) => c.overflowed);
  perReceiver("switchboard_webhook_attempt_failures_total", "Webhook attempts without a 2xx in time (retried)", (c) => c.attemptFailures);
  mirroredCounter(registry, "switchboard_webhook_events_total", "Webhook events made on this instance", () => webhooks.events);
  new client.Gauge({
    name: "switchboard_webhook_pending", help: "Webhook batches waiting for the receiver", labelNames: ["receiver"], registers: [registry],
    async collect() {
      for (const s of await webhooks.status()) this.set({ receiver: s.url }, s.pending);
    },
  });
  new client.Gauge({
    name: "switchboard_webhook_last_success_seconds", help: "Unix time of the receiver's last delivered batch (0 = none yet)", labelNames: ["receiver"], registers: [registry],
    collect() {
      for (const r of webhooks.receivers) this.set({ receiver: r.shownUrl }, r.counters.lastSuccessAt ? Date.parse(r.counters.lastSuccessAt) / 1000 : 0);
    },
  });
}

export function createMetrics({ hub, broker, adminConnections, sseConnections = () => 0, auditDropped = () => 0, webhooks }: MetricsSources): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ instance_id: hub.options.instanceId });
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  new client.Gauge({
    name: "switchboard_connections", help: "Open client connections by state", labelNames: ["state"], registers: [registry],
    collect() {
      const byState = new Map<string, number>([["unauthorized", 0], ["authenticating", 0], ["authenticated", 0]]);
      for (const [state, n] of hub.countByState()) byState.set(state, n);
      for (const [state, n] of byState) this.set({ state }, n);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge("switchboard_sse_connections", "Open Server-Sent Events streams (counted in switchboard_connections too)", sseConnections);
  gauge("switchboard_encrypted_sessions", "Open end-to-end encrypted sessions", () => hub.counts().encrypted);
  gauge("switchboard_rooms", "Rooms with at least one local member", () => hub.counts().rooms);
  gauge("switchboard_users", "Distinct authenticated users connected here", () => hub.counts().users);
  gauge("switchboard_admin_connections", "Authenticated admin channel sockets", adminConnections);
  gauge("switchboard_broker_up", "1 while the broker is connected", () => (broker.connected ? 1 : 0));
  gauge("switchboard_broker_publish_seconds_max", "Slowest broker publish since start", () => hub.stats.publishMsMax / 1000);
  mirroredCounter(registry, "switchboard_messages_in_total", "Frames received from clients", () => hub.stats.messagesIn);
  mirroredCounter(registry, "switchboard_bytes_in_total", "Bytes received from clients", () => hub.stats.bytesIn);
  mirroredCounter(registry, "switchboard_messages_out_total", "Frames delivered to clients", () => hub.stats.messagesOut);
  mirroredCounter(registry, "switchboard_broker_publishes_total", "Broker publishes", () => hub.stats.publishes);
  mirroredCounter(registry, "switchboard_broker_publish_failures_total", "Broker publishes that failed", () => hub.stats.publishFailures);
  mirroredCounter(registry, "switchboard_broker_publish_seconds_total", "Time spent in broker publishes", () => hub.stats.publishMsTotal / 1000);
  mirroredCounter(registry, "switchboard_audit_dropped_total", "Audit entries dropped because the audit queue was full", auditDropped);
  labelledCounter(registry, "switchboard_auth_failures_total", "Refused authentications by reason", "reason", () => hub.stats.authFailures);
  labelledCounter(registry, "switchboard_close_codes_total", "Closed connections by close code", "code", () => hub.stats.closeCodes);
  if (webhooks) registerWebhookMetrics(registry, webhooks);
  return registry;
}

/** `GET /metrics`: the scrape needs a token whose role may read (401 without one, 403 for an emitter). */
export function metricsHandler(registry: client.Registry, roles: RoleResolver): (c: Context) => Promise<Response> {
  return async (c) => {
    const who = await roles.resolve(bearerToken(c.req.header("authorization")));
    if (!who) return c.json(errorBody("unauthorized", "missing or invalid bearer token"), 401);
    if (!roleAllows(who.role, "read")) return c.json(errorBody("forbidden", `the ${who.role} role may not read`), 403);
    return c.text(await registry.metrics(), 200, { "content-type": registry.contentType });
  };
}
