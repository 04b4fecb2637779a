/**
 * Graceful shutdown of the CLI process (SPEC §3.2 item 6, §3.4, §11; issue 9): on SIGTERM or
 * SIGINT every connected socket — authenticated, unauthenticated, encrypted, admin — gets 1001,
 * a REST request already in flight completes with its normal answer, new connections are
 * refused, and the process exits 0 within a bound.
 */
import { describe, expect, test } from "bun:test";
import { generateKeyPair } from "../../shared/crypto.ts";
import { prepareInstances, startInstance, type Instance } from "../helpers/instances.ts";
import { signToken } from "../../server/auth/jwt.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";

const EXIT_BOUND_MS = 5000;

async function connectAll(instance: Instance): Promise<TestClient[]> {
  const plain = await Promise.all(Array.from({ length: 30 }, (_, i) => instance.client({ sub: `drain-${i}` })));
  const bare = await Promise.all(Array.from({ length: 10 }, () => TestClient.connect(instance.ws)));
  const encrypted = await TestClient.connect(instance.ws);
  encrypted.send({ event: "authenticate", data: { token: await signToken(TEST_SECRET, { sub: "secret-user" }, "1h"), publicKey: (await generateKeyPair()).publicKey } });
  await encrypted.waitForEvent("connected");
  const admin = await TestClient.connect(`${instance.ws.replace("/ws", "/admin/ws")}`);
  admin.send({ event: "authenticate", data: { token: ADMIN_TOKEN } });
  await admin.waitForEvent("snapshot");
  return [...plain, ...bare, encrypted, admin];
}


/**
 * A POST /api/emit whose body is still being uploaded: the headers and half the JSON go out
 * now, the rest when `finish()` is called. Resolves with the status and body.
 */
function slowEmit(instance: Instance): { finish: () => void; response: Promise<{ status: number; body: any }> } {
  const json = JSON.stringify({ to: { broadcast: true }, event: "last-words", data: { n: 1 } });
  let finish: () => void = () => undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(json.slice(0, 20)));
      finish = () => {
        controller.enqueue(new TextEncoder().encode(json.slice(20)));
        controller.close();
      };
    },
  });
  const response = fetch(`${instance.http}/api/emit`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit).then(async (res) => ({ status: res.status, body: await res.json() }));
  return { finish: () => finish(), response };
}

async function drainsOn(signal: "SIGTERM" | "SIGINT"): Promise<void> {
  await prepareInstances();
  const instance = await startInstance(`drain-${signal}`, {});
  try {
    const sockets = await connectAll(instance);
    const inFlight = slowEmit(instance);
    await Bun.sleep(200); // time is the subject: the request must be half uploaded when the signal arrives
    const started = Date.now();
    instance.proc.kill(signal);
    await instance.waitForLog((l) => l.msg === "shutting down" && l.signal === signal, 3000, "the shutting-down line");
    inFlight.finish();
    const closes = await Promise.all(sockets.map((c) => c.waitClosed(EXIT_BOUND_MS)));
    expect(closes.filter((c) => c.code !== 1001)).toEqual([]);
    const exit = await Promise.race([instance.proc.exited, Bun.sleep(EXIT_BOUND_MS).then(() => "timeout")]);
    expect(exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(EXIT_BOUND_MS);
    // The drained request was answered in full and delivered before the sockets closed.
    expect(await inFlight.response).toMatchObject({ status: 202, body: { recipients: 31 } });
    for (const c of sockets.slice(0, 30)) expect(c.frames.map((f) => f.event)).toContain("last-words");
    await expect(TestClient.connect(instance.ws, { timeoutMs: 1000 })).rejects.toThrow();
    expect(instance.logs.filter((l) => l.level >= 50)).toEqual([]);
  } finally {
    instance.proc.kill("SIGKILL");
  }
}

describe("graceful shutdown of the CLI process", () => {
  test("SIGTERM: every socket gets 1001, an in-flight REST request completes, the process exits 0 within 5 s", () => drainsOn("SIGTERM"), 30_000);
  test("SIGINT drains the same way", () => drainsOn("SIGINT"), 30_000);
});
