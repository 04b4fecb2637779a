/**
 * Connection churn against a running Switchboard: many short-lived clients, each one
 * connect → authenticate → join → disconnect, with the variations that touch every per-session
 * table and timer of the server — encrypted sessions (codec, ordered encoder), join + leave,
 * authentication failures (4003) and sockets closed before authenticating.
 *
 * Used by `scripts/soak-churn.ts` (100,000 cycles against a server process, `npm run soak`) and by
 * the small churn test in `npm test`. Each cycle waits on frames with a timeout; a failed cycle is
 * recorded, never thrown, so a run always finishes and reports.
 */
import { generateKeyPair } from "../shared/crypto.ts";

export interface ChurnOptions {
  /** Client WebSocket URL, e.g. ws://127.0.0.1:3000/ws. */
  url: string;
  /** Valid client tokens, used in turn (several users, so the user index churns too). */
  tokens: string[];
  cycles: number;
  concurrency: number;
  /** Rooms joined in turn (`churn-0` … `churn-<rooms-1>`). */
  rooms: number;
  /** Called after every `every` completed cycles (sampling); awaited, so it may pause the run. */
  onProgress?: (done: number) => Promise<void> | void;
  every?: number;
  cycleTimeoutMs?: number;
}

export interface ChurnResult {
  done: number;
  failures: string[];
  ms: number;
}

type Kind = "plain" | "encrypted" | "leave" | "bad-token" | "no-auth";

export function kindOf(i: number): Kind {
  if (i % 13 === 0) return "bad-token";
  if (i % 7 === 0) return "no-auth";
  if (i % 10 === 0) return "encrypted";
  if (i % 11 === 0) return "leave";
  return "plain";
}

/** A socket with frame waits (no SDK: the raw protocol, as any client would speak it). */
class ChurnSocket {
  private readonly frames: Array<{ event: string; data?: any }> = [];
  private wake?: () => void;
  private closeCode?: number;
  readonly closed: Promise<number>;
  readonly opened: Promise<void>;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error("socket error")), { once: true });
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => {
        this.closeCode = e.code;
        this.wake?.();
        resolve(e.code);
      }, { once: true }),
    );
    ws.addEventListener("message", (e) => {
      this.frames.push(JSON.parse(String(e.data)));
      this.wake?.();
    });
  }

  async next(match: (f: { event: string; data?: any }) => boolean): Promise<void> {
    for (;;) {
      if (this.frames.some(match)) return;
      if (this.closeCode !== undefined) throw new Error(`closed ${this.closeCode} before the expected frame; got ${JSON.stringify(this.frames).slice(0, 300)}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One connect → authenticate → join → disconnect cycle of the given kind. */
async function cycle(o: ChurnOptions, i: number): Promise<void> {
  const kind = kindOf(i);
  const s = new ChurnSocket(new WebSocket(o.url));
  await s.opened;
  if (kind === "no-auth") {
    s.ws.close();
    await s.closed;
    return;
  }
  const token = kind === "bad-token" ? "not-a-token" : o.tokens[i % o.tokens.length]!;
  const publicKey = kind === "encrypted" ? (await generateKeyPair()).publicKey : undefined;
  s.send({ event: "authenticate", data: { type: "Bearer", token, publicKey } });
  if (kind === "bad-token") {
    const code = await s.closed;
    if (code !== 4003) throw new Error(`bad token closed with ${code}, expected 4003`);
    return;
  }
  await s.next((f) => f.event === "connected");
  const room = `churn-${i % o.rooms}`;
  if (kind !== "encrypted") {
    s.send({ event: "join", data: { rooms: [room] }, id: "j" });
    await s.next((f) => f.event === "ack" && f.data?.id === "j");
  }
  if (kind === "leave") {
    s.send({ event: "leave", data: { rooms: [room] }, id: "l" });
    await s.next((f) => f.event === "ack" && f.data?.id === "l");
  }
  s.ws.close();
  await s.closed;
}

/** Runs `o.cycles` cycles on `o.concurrency` parallel workers. */
export async function runChurn(o: ChurnOptions): Promise<ChurnResult> {
  const started = performance.now();
  const failures: string[] = [];
  let next = 0;
  let done = 0;
  const every = o.every ?? 1000;
  const worker = async () => {
    for (let i = next++; i < o.cycles; i = next++) {
      try {
        await withTimeout(cycle(o, i), o.cycleTimeoutMs ?? 10_000, `cycle ${i} (${kindOf(i)})`);
      } catch (err) {
        if (failures.length < 100) failures.push(`cycle ${i} (${kindOf(i)}): ${(err as Error).message}`);
      }
      done += 1;
      if (o.onProgress && done % every === 0) await o.onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  return { done, failures, ms: performance.now() - started };
}

/** Least-squares slope of y over x (units of y per unit of x). */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
