/**
 * A real webhook receiver for tests: `Bun.serve` on a port (0 = any free one) that checks every
 * request with the exported `verifyWebhook`, can fail a share of requests on purpose (HTTP 500,
 * a hang past the sender's timeout, a reset connection, a redirect), and records what it
 * accepted. `stop()` and `start()` again on the same port simulate a receiver that is down.
 */
import type { Server } from "bun";
import { verifyWebhook, WEBHOOK_ID_HEADER, type WebhookBatch, type WebhookEvent } from "../../shared/webhooks.ts";
import { Rng } from "../fuzz/prng.ts";

export type Failure = "500" | "hang" | "reset" | "redirect";

export interface ReceiverOptions {
  secret: string;
  /** Share of requests failed on purpose, with a failure drawn from `failures`. */
  failRate?: number;
  failures?: Failure[];
  /** How long a "hang" holds the request (longer than the sender's WEBHOOK_TIMEOUT_MS). */
  hangMs?: number;
  seed?: number;
  port?: number;
}

export interface Attempt {
  id: string;
  valid: boolean;
  answer: Failure | "200";
}

export class WebhookReceiver {
  /** Accepted batches in arrival order (duplicates included: delivery is at least once). */
  readonly accepted: WebhookBatch[] = [];
  readonly attempts: Attempt[] = [];
  readonly rng: Rng;
  /** Failures for the next requests, in order, before the random ones apply. */
  failNext: Failure[] = [];
  /** Answer every request with 500 while set. */
  alwaysFail = false;
  private server?: Server<undefined>;
  private hangs = new Set<() => void>();
  port: number;

  constructor(private readonly o: ReceiverOptions) {
    this.rng = new Rng(o.seed ?? Date.now());
    this.port = o.port ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Every event of the distinct batches, in the order their first copy arrived. */
  get events(): WebhookEvent[] {
    const seen = new Set<string>();
    const out: WebhookEvent[] = [];
    for (const b of this.accepted) {
      if (seen.has(b.id)) continue;
      seen.add(b.id);
      out.push(...b.events);
    }
    return out;
  }

  named(name: string): WebhookEvent[] {
    return this.events.filter((e) => e.name === name);
  }

  start(): this {
    this.server = Bun.serve<undefined>({
      port: this.port,
      hostname: "127.0.0.1",
      fetch: (req) => this.handle(req),
      error: () => new Response("receiver error", { status: 500 }),
    });
    this.port = this.server.port!;
    return this;
  }

  /** Closes the port (requests are refused) and ends hanging requests. */
  async stop(): Promise<void> {
    for (const end of this.hangs) end();
    this.hangs.clear();
    await this.server?.stop(true);
    this.server = undefined;
  }

  async waitFor(condition: (r: this) => boolean, timeoutMs: number, label: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this)) {
      if (Date.now() > deadline) throw new Error(`receiver: timed out after ${timeoutMs} ms waiting for ${label}; got ${JSON.stringify(this.events.map((e) => e.name))}`);
      await Bun.sleep(20);
    }
  }

  private pickFailure(): Failure | undefined {
    if (this.failNext.length > 0) return this.failNext.shift();
    if (this.alwaysFail) return "500";
    if (!this.o.failRate || this.rng.next() >= this.o.failRate) return undefined;
    const failures = this.o.failures ?? ["500", "hang", "reset"];
    return failures[this.rng.int(failures.length)];
  }

  private async handle(req: Request): Promise<Response> {
    const raw = await req.text();
    const id = req.headers.get(WEBHOOK_ID_HEADER) ?? "";
    const valid = await verifyWebhook(this.o.secret, req.headers, raw);
    const failure = this.pickFailure();
    this.attempts.push({ id, valid, answer: failure ?? "200" });
    if (!valid) return new Response("bad signature", { status: 401 });
    switch (failure) {
      case "500":
        return new Response("failing on purpose", { status: 500 });
      case "redirect":
        return new Response(null, { status: 302, headers: { location: "/elsewhere" } });
      case "hang":
        return new Promise((resolve) => {
          const end = () => resolve(new Response("too late", { status: 200 }));
          this.hangs.add(end);
          setTimeout(() => (this.hangs.delete(end), end()), this.o.hangMs ?? 1000);
        });
      case "reset":
        // A body that errors after the headers promised 100 bytes: Bun drops the connection.
        return new Response(new ReadableStream({ pull: (c) => c.error(new Error("reset on purpose")) }), { headers: { "content-length": "100" } });
    }
    const batch = JSON.parse(raw) as WebhookBatch;
    if (batch.id !== id) throw new Error(`batch id ${batch.id} differs from ${WEBHOOK_ID_HEADER} ${id}`);
    this.accepted.push(batch);
    return new Response(null, { status: 204 });
  }
}
