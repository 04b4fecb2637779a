/**
 * @module bench/worker
 * A load-generator process: holds many client connections to one server and runs the
 * orchestrator's requests on them (see `lib/messages.ts`). It is spawned with IPC by
 * `lib/fleet.ts`, never run by hand, and exits when its parent goes away.
 */
import { signToken } from "../server/auth/jwt.ts";
import { Client, type FrameSink } from "./lib/client.ts";
import {
  now,
  type ConnectRequest,
  type ConnectResult,
  type HeartbeatRequest,
  type HeartbeatResult,
  type MeasureRequest,
  type MeasureResult,
  type WorkerReply,
  type WorkerRequest,
} from "./lib/messages.ts";
import { needsToken, protocol } from "./lib/protocols.ts";
import { readStamp, startsWith } from "./lib/wsproto.ts";

interface Counting {
  prefix: Uint8Array;
  expected: number;
  stamps: boolean;
  result: MeasureResult;
  done: () => void;
  finished: Promise<void>;
}

class Worker implements FrameSink {
  clients: Client[] = [];
  private counting?: Counting;
  private rtts: number[] = [];
  private answered = 0;

  /** Hot path: one call per data frame of a ready connection. */
  onData(client: Client, payload: Uint8Array): void {
    const c = this.counting;
    if (c && startsWith(payload, c.prefix)) {
      const t = now();
      const r = c.result;
      if (r.received === 0) r.firstAt = t;
      r.lastAt = t;
      r.received += 1;
      if (c.stamps) r.samples.push(t - readStamp(payload));
      if (r.received >= c.expected) c.done();
      return;
    }
    if (client.heartbeatAt > 0 && startsWith(payload, client.proto.heartbeatReply)) {
      this.rtts.push(now() - client.heartbeatAt);
      this.answered += 1;
      client.heartbeatAt = 0;
      return;
    }
    client.proto.keepalive(client, payload);
  }

  async connect(req: ConnectRequest): Promise<ConnectResult> {
    const proto = protocol(req.protocol);
    const tokens = await this.tokens(req);
    const result: ConnectResult = { ready: 0, failed: 0, startedAt: now(), endedAt: 0, errors: [] };
    let next = 0;
    const lane = async () => {
      while (next < req.count) {
        const i = next++;
        const client = new Client(proto, this, tokens[i], req.room);
        try {
          await client.open({ host: req.host, port: req.port }, req.timeoutMs);
          this.clients.push(client);
          result.ready += 1;
        } catch (err) {
          result.failed += 1;
          if (result.errors.length < 5) result.errors.push((err as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(req.concurrency, req.count) }, lane));
    result.endedAt = now();
    return result;
  }

  private async tokens(req: ConnectRequest): Promise<(string | undefined)[]> {
    if (!needsToken(req.protocol) || !req.secret) return [];
    const out: string[] = [];
    for (let i = 0; i < req.count; i++) {
      out.push(await signToken(req.secret, { sub: `${req.subPrefix}${i}`, rooms: req.room ? [req.room] : [] }, "2h"));
    }
    return out;
  }

  arm(req: MeasureRequest): { armed: boolean } {
    const proto = this.clients[0]?.proto;
    const result: MeasureResult = { received: 0, firstAt: 0, lastAt: 0, samples: [] };
    let done = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    this.counting = { prefix: proto?.eventPrefix(req.event) ?? new Uint8Array(), expected: req.expected, stamps: req.stamps, result, done, finished };
    if (!proto || req.expected <= 0) done();
    return { armed: Boolean(proto) };
  }

  /** Waits until the armed count is reached or `timeoutMs` passed, then disarms. */
  async collect(timeoutMs: number): Promise<MeasureResult> {
    const c = this.counting;
    if (!c) return { received: 0, firstAt: 0, lastAt: 0, samples: [] };
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([c.finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.counting = undefined;
    return c.result;
  }

  /** Every ready connection sends one heartbeat per interval; sends are spread evenly in time. */
  async heartbeats(req: HeartbeatRequest): Promise<HeartbeatResult> {
    const live = this.clients.filter((c) => c.isReady);
    this.rtts = [];
    this.answered = 0;
    let sent = 0;
    const start = now();
    const perMs = live.length / req.intervalMs;
    while (now() - start < req.durationMs && live.length > 0) {
      const due = Math.floor((now() - start) * perMs);
      for (; sent < due; sent++) {
        const client = live[sent % live.length]!;
        if (client.heartbeatAt > 0) continue; // still waiting: counted as unanswered
        client.heartbeatAt = now();
        client.sendText(client.proto.heartbeat(`h${sent}`));
      }
      await Bun.sleep(2);
    }
    await this.settleHeartbeats(live, 1000);
    return { sent, answered: this.answered, samples: this.rtts };
  }

  private async settleHeartbeats(live: Client[], graceMs: number): Promise<void> {
    const until = now() + graceMs;
    while (now() < until && live.some((c) => c.heartbeatAt > 0)) await Bun.sleep(5);
    for (const c of live) c.heartbeatAt = 0;
  }

  /** Closes the oldest `count` connections (all when absent) and waits until they are gone. */
  async close(count?: number): Promise<{ closed: number }> {
    const n = count === undefined ? this.clients.length : Math.min(count, this.clients.length);
    const clients = this.clients.slice(0, n);
    this.clients = this.clients.slice(n);
    for (const c of clients) c.close();
    const until = now() + 5000;
    while (now() < until && clients.some((c) => !c.gone)) await Bun.sleep(10);
    return { closed: clients.length };
  }
}

const worker = new Worker();

async function handle(req: WorkerRequest): Promise<WorkerReply["result"]> {
  switch (req.cmd) {
    case "connect":
      return worker.connect(req);
    case "arm":
      return worker.arm(req);
    case "collect":
      return worker.collect(req.timeoutMs);
    case "heartbeats":
      return worker.heartbeats(req);
    case "close":
      return worker.close(req.count);
    case "exit":
      setTimeout(() => process.exit(0), 10);
      return { closed: 0 };
  }
}

process.on("message", (msg: WorkerRequest & { seq: number }) => {
  handle(msg).then(
    (result) => process.send?.({ seq: msg.seq, ok: true, result } satisfies WorkerReply),
    (err: unknown) => process.send?.({ seq: msg.seq, ok: false, error: String(err) } satisfies WorkerReply),
  );
});
process.on("disconnect", () => process.exit(0));
