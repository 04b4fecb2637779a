/**
 * A Switchboard CLI started as a user starts it (`npm start`, in its own process group), loaded
 * with authenticated WebSocket clients and a stream of REST emits, then signalled. Used to check
 * that a SIGTERM — to the whole group, to the node wrapper or to the Bun child — always drains.
 *
 * Emits go over a fresh TCP connection each (`Connection: close`), so every request has exactly
 * one of three outcomes:
 * - `accepted`: HTTP 202 (the body's `recipients` is kept);
 * - `refused`: the connection was refused before anything was sent (ECONNREFUSED: the server had
 *   stopped listening), or the server answered 503 — clean refusals, the client knows nothing
 *   was done;
 * - `broken`: anything else (reset or closed after the request went out, no status line,
 *   another status, no answer within 20 s) — the client cannot tell whether it was done.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { signToken } from "../../server/auth/jwt.ts";

export const PROJECT_ROOT = join(import.meta.dir, "..", "..");
export const SIGNAL_SECRET = "group-signal-secret-0123456789abcdef";
export const SIGNAL_ADMIN = "group-signal-admin-0123456789";
/** Every client is put in this room by DEFAULT_ROOMS, so a 202 must reach all of them. */
const ROOM = "fleet";

export interface EmitOutcome {
  n: number;
  kind: "accepted" | "refused" | "broken";
  detail: string;
  recipients?: number;
  startedAt: number;
  endedAt: number;
}

export interface LoadedServer {
  npm: ChildProcess;
  port: number;
  /** The Bun process (the `pid` of its `listening` log line). */
  bunPid: number;
  /** The node wrapper, bin/switchboard.mjs (the Bun process's parent). */
  wrapperPid: number;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** `npm start` with `detached: true`, so npm, the wrapper and Bun form their own process group. */
export async function startThroughNpm(env: Record<string, string> = {}, timeoutMs = 20_000): Promise<LoadedServer> {
  const npm = spawn("nice", ["-n", "10", "npm", "start", "--silent"], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, JWT_SECRET: SIGNAL_SECRET, ADMIN_TOKEN: SIGNAL_ADMIN, PORT: "0", HOST: "127.0.0.1", DEFAULT_ROOMS: ROOM, ...env },
  });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.on("exit", (code, signal) => resolve({ code, signal })));
  let buffered = "";
  const listening = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${timeoutMs} ms: ${lines.join("\n")}`)), timeoutMs);
    npm.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          const { port, pid } = JSON.parse(line);
          resolve({ port, pid });
        }
      }
    });
    npm.stderr!.on("data", (chunk: Buffer) => lines.push(`stderr: ${chunk.toString().trimEnd()}`));
    void exited.then((e) => reject(new Error(`npm exited (${JSON.stringify(e)}) before listening: ${lines.join("\n")}`)));
  });
  const { port, pid } = await listening;
  return { npm, port, bunPid: pid, wrapperPid: parentOf(pid), lines, exited };
}

export interface Fleet {
  /** Close code per client, filled as they close. */
  closes: Promise<number[]>;
  /** `received[i]` holds the emit numbers client i got. */
  received: Set<number>[];
}

/** `count` clients, each authenticated (it got `connected`); resolves when all are. */
export async function connectFleet(port: number, tokens: string[], timeoutMs = 15_000): Promise<Fleet> {
  const received = tokens.map(() => new Set<number>());
  const ready: Promise<void>[] = [];
  const closes: Promise<number>[] = [];
  tokens.forEach((token, i) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    closes.push(new Promise((resolve) => ws.addEventListener("close", (e) => resolve(e.code))));
    ready.push(new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client ${i} not connected within ${timeoutMs} ms`)), timeoutMs);
      ws.addEventListener("open", () => ws.send(JSON.stringify({ event: "authenticate", data: { type: "Bearer", token } })));
      ws.addEventListener("message", (e) => {
        const frame = JSON.parse(String(e.data));
        if (frame.event === "tick") received[i]!.add(frame.data.n);
        else if (frame.event === "connected") {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.addEventListener("close", () => reject(new Error(`client ${i} closed before connected`)));
    }));
  });
  await Promise.all(ready);
  return { closes: Promise.all(closes), received };
}

export function fleetTokens(count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => signToken(SIGNAL_SECRET, { sub: `fleet-${i}` }, "1h")));
}

/** One POST /api/emit of `{event: "tick", data: {n}}` to the room, on its own connection. */
export function postEmit(port: number, n: number): Promise<EmitOutcome> {
  return slowEmit(port, n, false).outcome;
}

/**
 * The same request; with `hold`, only the headers and half the body go out until `finish()`,
 * so the request stays in flight as long as the caller wants.
 */
export function slowEmit(port: number, n: number, hold = true): { finish: () => void; outcome: Promise<EmitOutcome> } {
  const body = JSON.stringify({ to: { room: ROOM }, event: "tick", data: { n } });
  const startedAt = performance.now();
  let finishRequested = false;
  let sendRest = () => undefined as void;
  const outcome = new Promise<EmitOutcome>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let sent = false;
    let answer = "";
    let settled = false;
    const done = (kind: EmitOutcome["kind"], detail: string, recipients?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ n, kind, detail, recipients, startedAt, endedAt: performance.now() });
    };
    const timer = setTimeout(() => done("broken", "no answer within 20 s"), 20_000);
    socket.on("connect", () => {
      sent = true;
      const request = `POST /api/emit HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${SIGNAL_ADMIN}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
      const cut = hold ? request.length - 10 : request.length;
      socket.write(request.slice(0, cut));
      sendRest = () => void socket.write(request.slice(cut));
      if (hold && finishRequested) sendRest();
    });
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (!sent && err.code === "ECONNREFUSED") done("refused", "ECONNREFUSED");
      else done("broken", `${err.code ?? err.message} after ${sent ? "sending" : "connecting"}; answer so far ${JSON.stringify(answer.slice(0, 80))}`);
    });
    socket.on("close", () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      const recipients = /"recipients":(\d+)/.exec(answer)?.[1];
      if (status === "202" && recipients !== undefined) done("accepted", status, Number(recipients));
      else if (status === "503") done("refused", status);
      else done("broken", `closed with ${JSON.stringify(answer.slice(0, 120))}`);
    });
  });
  const finish = () => {
    finishRequested = true;
    sendRest();
  };
  return { finish, outcome };
}

/**
 * `lanes` loops of back-to-back emits; each loop stops at its first refusal or broken request
 * (once the server has stopped listening nothing more can be accepted).
 */
export function emitStream(port: number, lanes = 2): { outcomes: EmitOutcome[]; accepted: (count: number) => Promise<void>; finished: Promise<void> } {
  const outcomes: EmitOutcome[] = [];
  let next = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const lane = async () => {
    for (;;) {
      const outcome = await postEmit(port, next++);
      outcomes.push(outcome);
      const accepted = outcomes.filter((o) => o.kind === "accepted").length;
      for (const w of [...waiters]) if (accepted >= w.count) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
      if (outcome.kind !== "accepted") return;
    }
  };
  const finished = Promise.all(Array.from({ length: lanes }, lane)).then(() => undefined);
  return {
    outcomes,
    finished,
    accepted: (count) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fewer than ${count} emits accepted in 15 s: ${JSON.stringify(outcomes.slice(-3))}`)), 15_000);
      waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
      void finished.then(() => reject(new Error(`the emit stream ended early: ${JSON.stringify(outcomes.slice(-3))}`)));
    }),
  };
}

/** Resolves with `value`, or rejects naming `label` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: not within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Resolves when the server has logged a matching line (already logged or later). */
export async function waitForLine(server: LoadedServer, match: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = server.lines.find(match);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no matching log line within ${timeoutMs} ms: ${server.lines.slice(-5).join("\n")}`);
    await Bun.sleep(10);
  }
}
