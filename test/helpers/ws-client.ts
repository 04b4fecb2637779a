/**
 * A real WebSocket client for tests, with event waits that time out instead of sleeping.
 */
export interface Frame {
  event: string;
  data?: any;
  seq?: number;
  room?: string;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

type Waiter = { match: (f: Frame) => boolean; resolve: (f: Frame) => void };

export class TestClient {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  readonly closed: Promise<CloseInfo>;
  private waiters: Waiter[] = [];
  private cursor = 0;
  private closeInfo?: CloseInfo;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (e) => {
        this.closeInfo = { code: e.code, reason: e.reason };
        resolve(this.closeInfo);
      });
    });
    ws.addEventListener("message", (e) => {
      const text = typeof e.data === "string" ? e.data : new TextDecoder().decode(e.data as ArrayBuffer);
      this.raw.push(text);
      const frame = JSON.parse(text) as Frame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.match(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
  }

  static connect(url: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<TestClient> {
    const ws = new WebSocket(url, { headers: options.headers } as unknown as string[]);
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect to ${url} timed out`)), options.timeoutMs ?? 5000);
      ws.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new Error(`connect to ${url} failed`));
      });
    });
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** The next frame (after those already consumed by `next`) matching the event, or a timeout error. */
  next(event?: string, timeoutMs = 3000): Promise<Frame> {
    const match = (f: Frame) => event === undefined || f.event === event;
    while (this.cursor < this.frames.length) {
      const frame = this.frames[this.cursor++]!;
      if (match(frame)) return Promise.resolve(frame);
    }
    return this.waitFor(match, timeoutMs, `next(${event ?? "*"})`).then((f) => {
      this.cursor = this.frames.length;
      return f;
    });
  }

  /** The first frame, past or future, that matches. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 3000, label = "frame"): Promise<Frame> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}; got: ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitForEvent(event: string, timeoutMs = 3000): Promise<Frame> {
    return this.waitFor((f) => f.event === event, timeoutMs, `event ${event}`);
  }

  /** The ack for a frame id. */
  ack(id: string, timeoutMs = 3000): Promise<Frame> {
    return this.waitFor((f) => f.event === "ack" && f.data?.id === id, timeoutMs, `ack ${id}`);
  }

  /** Sends a frame with an id and waits for its ack. */
  async request(event: string, data: unknown, timeoutMs = 3000): Promise<any> {
    const id = `r-${Math.random().toString(36).slice(2)}`;
    this.send({ event, data, id });
    return (await this.ack(id, timeoutMs)).data;
  }

  waitClosed(timeoutMs = 3000): Promise<CloseInfo> {
    return Promise.race([
      this.closed,
      new Promise<CloseInfo>((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs)),
    ]);
  }

  /** Asserts that no frame matching arrives within `ms` (time is the subject here). */
  async expectNone(match: (f: Frame) => boolean, ms = 200): Promise<void> {
    const start = this.frames.length;
    await Bun.sleep(ms);
    const extra = this.frames.slice(start).filter(match);
    if (extra.length > 0) throw new Error(`unexpected frames: ${JSON.stringify(extra)}`);
  }

  close(code = 1000): void {
    this.ws.close(code);
  }

  /** Connects and authenticates; resolves with the client and its `connected` data. */
  static async authenticated(url: string, token: string, extra: Record<string, unknown> = {}): Promise<TestClient> {
    const client = await TestClient.connect(url);
    client.send({ event: "authenticate", data: { type: "Bearer", token, ...extra } });
    await client.waitForEvent("connected");
    return client;
  }

  get connected(): Frame | undefined {
    return this.frames.find((f) => f.event === "connected");
  }

  get id(): string {
    return this.connected?.data?.id;
  }
}

/** Polls a condition until it holds or the timeout passes (for server-side state with no event to wait on). */
export async function waitUntil(condition: () => boolean, timeoutMs = 3000, label = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await Bun.sleep(5);
  }
}
