/**
 * An attacking connection that checks the answer to each frame it sends.
 *
 * After each frame it sends a fence whose answer is known and synchronous — a `heartbeat` with
 * an id when authenticated (answered with a heartbeat), an unknown event with an id before
 * (answered with `Not authenticated` and a nack) — so the frames between two fences are exactly
 * the answer to one input. Acks, which may come after a hook's await, are awaited by id.
 */
import { expect } from "bun:test";
import { TestClient, type Frame } from "../helpers/ws-client.ts";
import type { Expect } from "./frames.ts";

let fences = 0;

export class Probe {
  private constructor(
    readonly client: TestClient,
    readonly authenticated: boolean,
  ) {}

  static async open(url: string, token?: string): Promise<Probe> {
    if (token) return new Probe(await TestClient.authenticated(url, token), true);
    return new Probe(await TestClient.connect(url), false);
  }

  /** Sends one frame and checks that exactly the expected answer came back; the socket stays open. */
  async check(payload: string | Uint8Array, want: Expect, label: string): Promise<void> {
    const frames = this.client.frames;
    const start = frames.length;
    this.client.sendRaw(payload);
    const fenceId = `fence-${++fences}`;
    if (this.authenticated) this.client.send({ event: "heartbeat", id: fenceId });
    else this.client.send({ event: "fence", id: fenceId });
    const isFence = (f: Frame) => (this.authenticated ? f.event === "heartbeat" : f.event === "ack") && f.data?.id === fenceId;
    await this.client.waitFor(isFence, 5000, `fence after ${label}`);
    if (want.ack) await this.waitAck(want.ack.id, start, label);
    let end = frames.findIndex(isFence);
    if (!this.authenticated) end -= 1; // the fence's own "Not authenticated" error
    const segment = frames.slice(start, end).filter((f) => f.event !== "tick");
    const context = `${label}: ${JSON.stringify(typeof payload === "string" ? payload.slice(0, 300) : [...payload.slice(0, 60)])}`;
    expect(segment.filter((f) => f.event === "error").map((f) => f.data?.message), context).toEqual(want.errors);
    expect(segment.filter((f) => f.event === "heartbeat").map((f) => f.data?.id), context).toEqual(want.heartbeat !== undefined ? [want.heartbeat] : []);
    const acks = frames.slice(start).filter((f) => f.event === "ack" && f.data?.id !== fenceId);
    expect(acks.map((f) => ({ id: f.data.id, ok: f.data.ok, ...(f.data.ok ? {} : { code: f.data.error?.code }) })), context).toEqual(want.ack ? [want.ack] : []);
    expect(segment.filter((f) => !["error", "heartbeat", "ack"].includes(f.event)).map((f) => f.event), context).toEqual([]);
    expect(this.client.isClosed, context).toBe(false);
  }

  private waitAck(id: string, start: number, label: string): Promise<Frame> {
    const frames = this.client.frames;
    return this.client.waitFor((f) => f.event === "ack" && f.data?.id === id && frames.indexOf(f) >= start, 5000, `ack ${id} after ${label}`);
  }

  close(): void {
    this.client.close();
  }
}
