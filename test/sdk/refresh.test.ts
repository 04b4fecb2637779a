/**
 * Token lifetime: the SDK refreshes a session before its token's `exp` when the token is a
 * function, reconnects with a fresh token after 4009, and stops after 4009 with a fixed token.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { decodeJwtExp } from "../../shared/client/index.ts";
import { Recorder, runCleanup, sdkClient, sdkServer, staysFalse, waitFor } from "./helpers.ts";

afterEach(runCleanup);
const server = sdkServer;
const client = sdkClient;

describe("SDK token refresh", () => {
  test("decodeJwtExp reads exp (ms) without verifying, and nothing from a non-JWT", async () => {
    const s = await server();
    const token = await s.token({ sub: "x" }, "60s");
    expect(Math.abs(decodeJwtExp(token)! - (Date.now() + 60_000))).toBeLessThan(2000);
    expect(decodeJwtExp("opaque")).toBeUndefined();
    expect(decodeJwtExp("a.%%%.c")).toBeUndefined();
  });

  test("refresh keeps a session alive past the first token's expiry (2 s tokens)", async () => {
    const s = await server();
    let issued = 0;
    const c = client({ url: s.ws, token: () => (issued++, s.token({ sub: "erin" }, "2s")), reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
    const rec = new Recorder(c);
    const { id } = await c.connect();
    await c.join("room-r");
    const firstExp = s.sb["hub"]["sessions"].get(id)!.expiresAt!;
    await waitFor(() => Date.now() > firstExp + 1500, 6000, "well past the first token's expiry");
    expect(rec.closes).toEqual([]);
    expect(c.id).toBe(id);
    expect(c.state).toBe("connected");
    expect(issued).toBeGreaterThanOrEqual(3);
    expect(s.sb["hub"]["sessions"].get(id)!.expiresAt!).toBeGreaterThan(firstExp);
    await s.sb.toRoom("room-r", "still-here", 1);
    expect((await rec.waitForFrame("still-here")).data).toBe(1);
  }, 10_000);

  test("when the server refuses the refresh, the 4009 close leads to a reconnect with a fresh token and the rooms back", async () => {
    const s = await server({ refresh: () => null });
    let issued = 0;
    const c = client({ url: s.ws, token: () => (issued++, s.token({ sub: "finn" }, "1s")), reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
    const rec = new Recorder(c);
    await c.connect();
    await c.join("room-t");
    await rec.waitForState("connected", 2, 5000);
    expect(rec.closes[0]).toMatchObject({ code: 4009, willReconnect: true });
    expect(issued).toBeGreaterThanOrEqual(3); // first, refused refresh, reconnect
    expect(await rec.waitForRejoin()).toEqual({ joined: ["room-t"], denied: [] });
  }, 10_000);

  test("with a fixed token, 4009 ends the client instead of retrying a dead token", async () => {
    const s = await server();
    const c = client({ url: s.ws, token: await s.token({ sub: "gus" }, "1s"), reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
    const rec = new Recorder(c);
    await c.connect();
    await rec.waitForState("closed", 1, 5000);
    expect(rec.closes).toEqual([expect.objectContaining({ code: 4009, willReconnect: false })]);
    await staysFalse(() => rec.count("connecting") > 0, 200, "a retry with the expired token");
  }, 10_000);
});
