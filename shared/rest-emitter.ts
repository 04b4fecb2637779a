/**
 * @module shared/rest-emitter
 * A small client of the REST emit routes for backends that talk HTTP rather than Redis
 * (exported from `switchboard/emitter`). Runs on Node.js 20+ and Bun: it uses the global
 * `fetch` and nothing runtime-specific.
 *
 *   const rest = createRestEmitter({ url: "http://localhost:3000", token: process.env.EMIT_TOKEN });
 *   const key = crypto.randomUUID();                 // one key per logical message
 *   await rest.emit({ room: "lobby" }, "news", { a: 1 }, { idempotencyKey: key });
 *   await rest.emit({ room: "lobby" }, "news", { a: 1 }, { idempotencyKey: key }); // a retry: sends nothing, same answer, replayed: true
 *
 * With `idempotencyKey` the request carries `Idempotency-Key` (SPEC §14), so retrying it after a
 * timeout or a dropped connection never delivers twice. A refused request rejects with a
 * {@link RestEmitError} carrying the server's status and error code; an invalid key is a
 * TypeError before anything is sent.
 */

export type RestTarget = { broadcast: true } | { room: string } | { rooms: string[] } | { user: string } | { client: string };

export interface RestEmitterOptions {
  /** The server's origin, e.g. `http://localhost:3000`. */
  url: string;
  /** A bearer token with the emitter or admin role (EMIT_TOKEN, ADMIN_TOKEN or a role JWT). */
  token: string;
  /** Where the REST API is mounted. @default "/api" */
  apiPath?: string;
  /** How long one request may take before it rejects. @default 10000 */
  timeoutMs?: number;
}

export interface RestIdempotencyOption {
  /** 1-128 printable ASCII characters; the same key for every retry of one logical send. */
  idempotencyKey?: string;
}

export interface RestEmitOptions extends RestIdempotencyOption {
  /** Client ids that must not receive the message. */
  exclude?: string[];
}

export interface RestMessage {
  to: RestTarget;
  event: string;
  data?: unknown;
  exclude?: string[];
}

export interface RestEmitResult {
  id: string;
  recipients: number;
  /** True when the server answered a stored earlier answer (`Idempotent-Replayed: true`): nothing was sent this time. */
  replayed: boolean;
}

export interface RestBatchResult {
  items: Array<{ id: string; recipients: number }>;
  replayed: boolean;
}

export class RestEmitError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "RestEmitError";
  }
}

export interface RestEmitter {
  emit(to: RestTarget, event: string, data?: unknown, options?: RestEmitOptions): Promise<RestEmitResult>;
  /** Up to 100 messages, sent in order, as one request (one key covers the whole batch). */
  emitBatch(messages: RestMessage[], options?: RestIdempotencyOption): Promise<RestBatchResult>;
}

const PRINTABLE_KEY = /^[\x20-\x7e]{1,128}$/;

function checkKey(key: string): string {
  if (typeof key !== "string" || !PRINTABLE_KEY.test(key)) throw new TypeError("switchboard rest emitter: idempotencyKey must be 1-128 printable ASCII characters");
  return key;
}

class HttpRestEmitter implements RestEmitter {
  private readonly base: string;

  constructor(private readonly o: RestEmitterOptions) {
    if (typeof o.url !== "string" || !/^https?:\/\//.test(o.url)) throw new TypeError("createRestEmitter: url must be an http(s) URL such as http://localhost:3000");
    if (typeof o.token !== "string" || o.token.length === 0) throw new TypeError("createRestEmitter: token must be a non-empty string");
    this.base = o.url.replace(/\/+$/, "") + (o.apiPath ?? "/api").replace(/\/+$/, "");
  }

  async emit(to: RestTarget, event: string, data?: unknown, options: RestEmitOptions = {}): Promise<RestEmitResult> {
    const body: RestMessage = { to, event, ...(data === undefined ? {} : { data }), ...(options.exclude ? { exclude: options.exclude } : {}) };
    const { answer, replayed } = await this.post("/emit", body, options.idempotencyKey);
    const { id, recipients } = answer as { id: string; recipients: number };
    return { id, recipients, replayed };
  }

  async emitBatch(messages: RestMessage[], options: RestIdempotencyOption = {}): Promise<RestBatchResult> {
    const { answer, replayed } = await this.post("/emit/batch", { messages }, options.idempotencyKey);
    return { items: (answer as { items: RestBatchResult["items"] }).items, replayed };
  }

  private async post(path: string, body: unknown, idempotencyKey: string | undefined): Promise<{ answer: unknown; replayed: boolean }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.o.token}`, "content-type": "application/json" };
    if (idempotencyKey !== undefined) headers["idempotency-key"] = checkKey(idempotencyKey);
    const res = await fetch(this.base + path, { method: "POST", headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
    const text = await res.text();
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    if (!res.ok) {
      const error = (answer as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
      throw new RestEmitError(`switchboard rest emitter: ${res.status} ${error?.message ?? text.slice(0, 200)}`, res.status, error?.code ?? "http_error", error?.field);
    }
    return { answer, replayed: res.headers.get("idempotent-replayed") === "true" };
  }
}

export function createRestEmitter(options: RestEmitterOptions): RestEmitter {
  return new HttpRestEmitter(options);
}
