/**
 * @module server/core/events
 * Lifecycle events the hub emits, for the admin channel, metrics and presence. Listeners run
 * synchronously in registration order; a throwing listener is logged and does not stop others.
 */
import type { Target } from "./target.ts";

export type HubEvent =
  | { type: "client:connected"; clientId: string; remoteAddress: string; at: number }
  | { type: "client:authenticated"; clientId: string; userId?: string; encrypted: boolean; at: number }
  | { type: "client:disconnected"; clientId: string; userId?: string; code: number; reason: string; at: number }
  | { type: "room:joined"; clientId: string; room: string; at: number }
  | { type: "room:left"; clientId: string; room: string; at: number }
  | { type: "emit"; target: Target; event: string; recipients: number; by?: string; at: number };

export type HubEventListener = (event: HubEvent) => void;

export class HubEvents {
  private readonly listeners: HubEventListener[] = [];

  constructor(private readonly onListenerError: (err: unknown) => void) {}

  on(listener: HubEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: HubEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }
}
