/**
 * A test client for the SSE transport: gets a ticket with a JWT, opens the stream with fetch and
 * parses it (its own small parser, independent of the SDK's), records every event and comment.
 * Waits are on events with timeouts, never sleeps.
 */

export interface SseEvent {
  event: string;
  data: any;
  id?: string;
}

export interface TicketAnswer {
  status: number;
  body: any;
}

export async function requestTicket(http: string, token: string | null, body?: unknown, path = "/sse"): Promise<TicketAnswer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${http}${path}/ticket`, { method: "POST", headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

/** Splits a stream of SSE text into events (blank-line separated) and comment lines. */
function parseBlock(block: string): SseEvent | "comment" | undefined {
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  let comment = false;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) comment = true;
    else if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (data.length === 0) return comment ? "comment" : undefined;
  return { event, data: JSON.parse(data.join("\n")), id };
}

export class TestSseStream {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  readonly done: Promise<void>;
  private readonly abort = new AbortController();
  private listeners = new Set<() => void>();

  private constructor(readonly response: Response) {
    this.done = this.read();
  }

  /** GET the stream; resolves with the stream (status 200) or the refusal response. */
  static async open(http: string, ticket: string, headers: Record<string, string> = {}, path = "/sse", query = ""): Promise<TestSseStream | Response> {
    const abort = new AbortController();
    const res = await fetch(`${http}${path}?ticket=${encodeURIComponent(ticket)}${query}`, { headers, signal: abort.signal });
    if (res.status !== 200) return res;
    const stream = new TestSseStream(res);
    stream.abort.signal.addEventListener("abort", () => abort.abort());
    return stream;
  }

  /** Ticket + stream in one; throws when either is refused. */
  static async connect(http: string, token: string, body?: unknown, headers?: Record<string, string>): Promise<TestSseStream> {
    const ticket = await requestTicket(http, token, body);
    if (ticket.status !== 200) throw new Error(`ticket refused: ${ticket.status} ${JSON.stringify(ticket.body)}`);
    const stream = await TestSseStream.open(http, ticket.body.ticket, headers);
    if (stream instanceof Response) throw new Error(`stream refused: ${stream.status} ${await stream.text()}`);
    await stream.next((e) => e.event === "connected");
    return stream;
  }

  get connected(): SseEvent | undefined {
    return this.events.find((e) => e.event === "connected");
  }

  private async read(): Promise<void> {
    const reader = this.response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const parsed = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (parsed === "comment") this.comments += 1;
          else if (parsed) this.events.push(parsed);
          this.notify();
        }
      }
    } catch {
      // Aborted by close() or the connection dropped: either way the stream has ended.
    }
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves when `check` holds (checked now and after every event), rejects after `timeoutMs`. */
  until<T>(check: () => T | undefined | false, timeoutMs = 5000, label = "condition"): Promise<T> {
    return new Promise((resolve, reject) => {
      const run = () => {
        const value = check();
        if (value === undefined || value === false) return false;
        this.listeners.delete(run);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(run);
        reject(new Error(`SSE: ${label} not seen within ${timeoutMs} ms; events: ${JSON.stringify(this.events.map((e) => e.event))}`));
      }, timeoutMs);
      if (!run()) this.listeners.add(run);
    });
  }

  next(match: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
    return this.until(() => this.events.find(match), timeoutMs, "event");
  }

  /** Resolves when the server ended the stream. */
  end(timeoutMs = 5000): Promise<true> {
    return this.until(() => this.ended || undefined, timeoutMs, "end of stream");
  }

  close(): void {
    this.abort.abort();
  }
}
