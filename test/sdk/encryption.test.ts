/**
 * Encryption through the SDK: `required` gives an encrypted session whose room messages,
 * acks and heartbeat replies arrive decrypted; `auto` follows the server; a plaintext-only
 * server is refused by `required` without a retry, and `off` against ENCRYPTION=required ends 4004.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createClient, type SwitchboardClient } from "../../shared/client/index.ts";
import type { TestServer } from "../helpers/server.ts";
import { deferCleanup, Recorder, runCleanup, sdkServer, staysFalse, waitFor } from "./helpers.ts";

afterEach(runCleanup);
const server = sdkServer;

function client(s: TestServer, options: Partial<Parameters<typeof createClient>[0]> = {}): SwitchboardClient {
  const c = createClient({ url: s.ws, token: () => s.token({ sub: "hana" }), reconnect: { minDelayMs: 10, maxDelayMs: 50 }, ...options });
  deferCleanup(() => c.close());
  return c;
}

describe("SDK encryption", () => {
  test("encryption 'required' gets an encrypted session that receives room messages decrypted, in order", async () => {
    const s = await server({ encryption: "required", onMessage: ({ message }) => ({ got: message.data }) });
    const c = client(s, { encryption: "required", heartbeatMs: 50 });
    const rec = new Recorder(c);
    const { id } = await c.connect();
    expect(c.encrypted).toBe(true);
    expect(s.sb.getClient(id)?.encrypted).toBe(true);
    expect(await c.join("room-e")).toEqual({ joined: ["room-e"], denied: [] });
    for (let n = 0; n < 20; n += 1) await s.sb.toRoom("room-e", "secret", { n });
    await waitFor(() => rec.events("secret").length === 20, 3000, "20 room messages");
    expect(rec.events("secret").map((f) => (f.data as { n: number }).n)).toEqual([...Array(20).keys()]);
    expect(await c.request("ask", "sealed both ways")).toEqual({ got: "sealed both ways" });
    await waitFor(() => c.rtt !== undefined, 2000, "an encrypted heartbeat reply");
    expect(rec.events("encrypted")).toEqual([]);
  });

  test("encryption 'auto' is encrypted against ENCRYPTION=optional and plaintext against ENCRYPTION=off", async () => {
    const optional = await server();
    const a = client(optional);
    await a.connect();
    expect(a.encrypted).toBe(true);
    const off = await server({ encryption: "off" });
    const b = client(off);
    await b.join("room-p");
    expect(b.encrypted).toBe(false);
    const rec = new Recorder(b);
    await off.sb.toRoom("room-p", "plain", 1);
    expect((await rec.waitForFrame("plain")).data).toBe(1);
  });

  test("encryption 'required' refuses a server that does not encrypt, without retrying", async () => {
    const s = await server({ encryption: "off" });
    const c = client(s, { encryption: "required" });
    const rec = new Recorder(c);
    await expect(c.connect()).rejects.toMatchObject({ code: "closed" });
    expect(rec.closes).toEqual([expect.objectContaining({ code: 4004, willReconnect: false })]);
    await staysFalse(() => rec.count("connecting") > 0, 200, "a retry");
  });

  test("encryption 'off' against ENCRYPTION=required ends with 4004 and no retry", async () => {
    const s = await server({ encryption: "required" });
    const c = client(s, { encryption: "off" });
    const rec = new Recorder(c);
    await expect(c.connect()).rejects.toMatchObject({ code: "closed" });
    expect(rec.closes).toEqual([expect.objectContaining({ code: 4004, willReconnect: false })]);
  });
});
