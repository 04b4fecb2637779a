/**
 * @module bench/lib/messages
 * The IPC vocabulary between the orchestrator (`bench/run.ts`) and its load-generator workers
 * (`bench/worker.ts`). Every request carries a `seq`; the worker answers each exactly once
 * with the same `seq`. Times are wall-clock milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), comparable across processes on one machine.
 */
import type { ProtocolName } from "./protocols.ts";

export interface ConnectRequest {
  cmd: "connect";
  host: string;
  port: number;
  protocol: ProtocolName;
  count: number;
  /** Connections in setup at once. */
  concurrency: number;
  /** HS256 secret for the tokens (signed before the clock starts). */
  secret?: string;
  /** Users are `${subPrefix}${i}`. */
  subPrefix: string;
  room?: string;
  timeoutMs: number;
}

/** Arms frame counting (answered at once); `collect` then waits for the result. */
export interface MeasureRequest {
  cmd: "arm";
  /** Application event whose frames are counted. */
  event: string;
  /** Frames expected by this worker in total. */
  expected: number;
  /** Record `now - data.t` for each frame (latency probes). */
  stamps: boolean;
}

export interface HeartbeatRequest {
  cmd: "heartbeats";
  durationMs: number;
  /** Each connection sends one heartbeat (with an id) per interval, phases spread evenly. */
  intervalMs: number;
}

export type WorkerRequest =
  | ConnectRequest
  | MeasureRequest
  | HeartbeatRequest
  | { cmd: "collect"; timeoutMs: number }
  | { cmd: "close"; count?: number }
  | { cmd: "exit" };

export interface ConnectResult {
  ready: number;
  failed: number;
  startedAt: number;
  endedAt: number;
  errors: string[];
}

export interface MeasureResult {
  received: number;
  firstAt: number;
  lastAt: number;
  samples: number[];
}

export interface HeartbeatResult {
  sent: number;
  answered: number;
  /** Round trips in ms; unanswered heartbeats are not in here (see `sent - answered`). */
  samples: number[];
}

export interface WorkerReply {
  seq: number;
  ok: boolean;
  error?: string;
  result?: ConnectResult | MeasureResult | HeartbeatResult | { closed: number } | { armed: boolean };
}

export const now = (): number => performance.timeOrigin + performance.now();
