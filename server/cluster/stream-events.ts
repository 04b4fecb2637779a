/**
 * @module server/cluster/stream-events
 * Turns the hub's lifecycle events into admin stream events tagged with the instance they
 * happened on: for this instance's admin channel, and for the other instances' through the
 * cluster event feed (event-feed.ts).
 */
import type { StreamEvent } from "../../shared/admin.ts";
import type { HubEvent } from "../core/events.ts";

export function toStreamEvent(e: HubEvent, instanceId: string): StreamEvent {
  switch (e.type) {
    case "client:connected":
      return { event: e.type, data: { clientId: e.clientId, instanceId, remoteAddress: e.remoteAddress, at: e.at } };
    case "client:authenticated":
      return { event: e.type, data: { clientId: e.clientId, instanceId, userId: e.userId, encrypted: e.encrypted, at: e.at } };
    case "client:disconnected":
      return { event: e.type, data: { clientId: e.clientId, instanceId, userId: e.userId, code: e.code, reason: e.reason, at: e.at } };
    case "room:joined":
    case "room:left":
      return { event: e.type, data: { clientId: e.clientId, instanceId, room: e.room, at: e.at } };
    case "emit":
      return { event: "emit", data: { instanceId, by: e.by, target: e.target, event: e.event, recipients: e.recipients, at: e.at } };
  }
}
