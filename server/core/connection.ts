/**
 * @module server/core/connection
 * The transport seam under the session core. The Bun adapter implements these; unit tests use
 * an in-memory fake. Nothing here knows about Bun.
 */

/**
 * Result of a send, as Bun reports it: a positive number is the bytes written, `-1` means the
 * frame was queued behind backpressure (it will still be sent), `0` means it was dropped
 * (socket closed or over the hard buffer limit).
 */
export type SendStatus = number;

/** One client socket. All methods must be safe to call after the socket closed (no-ops). */
export interface Connection {
  send(text: string): SendStatus;
  close(code: number, reason: string): void;
  /** Subscribe to a runtime topic so that {@link TopicPublisher.publish} reaches this socket. */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /**
   * True for a connection that cannot subscribe to runtime topics (an SSE stream, say): the hub
   * then serves it by direct sends only, like an encrypted session. Absent means false.
   */
  readonly direct?: boolean;
  /** Bytes queued in the send buffer, not yet written to the network. */
  bufferedAmount(): number;
  readonly remoteAddress: string;
  readonly userAgent: string;
  /** What the client record reports as its transport (`/api/clients`); absent means "ws". */
  readonly transport?: "ws" | "sse";
}

/**
 * Publishes one encoded frame to every socket subscribed to a topic, in the runtime. Frames
 * published to a topic reach each subscriber in publish order, interleaved in call order with
 * direct `send`s to that socket.
 */
export interface TopicPublisher {
  publish(topic: string, text: string): void;
}

/** Topic names are namespaced so that a room can never collide with the broadcast topic. */
export const Topics = Object.freeze({
  BROADCAST: "ws:internal:broadcast",
  room: (room: string) => `ws:room:${room}`,
});
