/**
 * Fail-over when an instance is killed (SIGKILL, no close frame: the socket just drops): the SDK,
 * given both instances' URLs, moves to the surviving process, re-joins its rooms there and gets
 * what that instance emits (SPEC §11 "an instance killed while its clients reconnect elsewhere").
 */
import { afterAll, expect, test } from "bun:test";
import { signToken } from "../../server/auth/jwt.ts";
import { createClient } from "../../shared/client/index.ts";
import { CliProcess } from "../helpers/process.ts";
import { Recorder } from "./helpers.ts";

const SECRET = "failover-secret-0123456789abcdefgh";
const ADMIN = "failover-admin-token-0123456789";
const env = { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", JWT_SECRET: SECRET, ADMIN_TOKEN: ADMIN, ALLOWED_ROOMS: "room-*" };
const procs: CliProcess[] = [];

afterAll(async () => {
  for (const p of procs) {
    p.kill("SIGKILL");
    await p.exited;
  }
});

test("when its instance is killed, the SDK moves to the surviving instance and receives room messages there", async () => {
  const a = CliProcess.start(["start"], env);
  const b = CliProcess.start(["start"], env);
  procs.push(a, b);
  const [portA, portB] = await Promise.all([a.port(15_000), b.port(15_000)]);
  const client = createClient({
    url: [`ws://127.0.0.1:${portA}/ws`, `ws://127.0.0.1:${portB}/ws`],
    token: () => signToken(SECRET, { sub: "kim" }, "5m"),
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
  });
  const rec = new Recorder(client);
  try {
    await client.connect();
    await client.join("room-k");
    a.kill("SIGKILL");
    await rec.waitForState("connected", 2, 10_000);
    expect(rec.closes[0]).toMatchObject({ willReconnect: true });
    expect(client.url).toBe(`ws://127.0.0.1:${portB}/ws`);
    expect(await rec.waitForRejoin()).toEqual({ joined: ["room-k"], denied: [] });
    const res = await fetch(`http://127.0.0.1:${portB}/api/emit`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ to: { room: "room-k" }, event: "survived", data: { on: "b" } }),
    });
    expect(res.status).toBe(202);
    expect((await rec.waitForFrame("survived")).data).toEqual({ on: "b" });
  } finally {
    client.close();
  }
}, 30_000);
