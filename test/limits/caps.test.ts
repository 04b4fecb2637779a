/**
 * Connection and rate limits under attack (SPEC §2, §3.4, §11; issue 9): bursts well past
 * MAX_CONNECTIONS, concurrent logins of one user past MAX_CONNECTIONS_PER_USER, floods past
 * RATE_LIMIT_PER_S, a flood of sockets that never authenticate (MAX_UNAUTHENTICATED_CONNECTIONS
 * and AUTH_TIMEOUT_MS), and silent sockets that stop reading (heartbeat timeout). Each limit holds
 * exactly, its victims get the documented code, and a sentinel client's stream is untouched.
 */
import { describe, expect, test } from "bun:test";
import type { SwitchboardOptions } from "../../server/config/options.ts";
import { generateKeyPair } from "../../shared/crypto.ts";
import { RawWebSocket } from "../helpers/raw-ws.ts";
import { Sentinel } from "../helpers/sentinel.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { TestClient, waitUntil } from "../helpers/ws-client.ts";

const UPGRADE_HEADERS = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };

/** A server with a sentinel streaming in room "stream"; checks the sentinel after `fn`. */
async function underAttack(options: SwitchboardOptions, fn: (s: TestServer) => Promise<void>): Promise<void> {
  const s = await startServer({ allowedRooms: ["*"], ...options });
  try {
    const client = await s.client({ sub: "sentinel" });
    await client.request("join", { rooms: ["stream"] });
    const sentinel = new Sentinel(client, (event, data) => s.sb.toRoom("stream", event, data)).start();
    const heartbeat = setInterval(() => client.send({ event: "heartbeat" }), 50); // a live client
    try {
      await fn(s);
    } finally {
      clearInterval(heartbeat);
    }
    await sentinel.stopAndCheck();
  } finally {
    await s.stop();
  }
}

/** Opens `n` sockets at once; resolves with the ones that upgraded and the count refused. */
async function burst(url: string, n: number): Promise<{ open: TestClient[]; refused: number }> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => TestClient.connect(url, { timeoutMs: 10_000 })));
  const open = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<TestClient>).value);
  return { open, refused: n - open.length };
}

async function upgradeStatus(s: TestServer, path = "/ws"): Promise<number> {
  return (await fetch(s.http + path, { headers: UPGRADE_HEADERS })).status;
}

describe("limits under attack", () => {
  test("MAX_CONNECTIONS: a burst of 3x the cap leaves exactly the cap open, the rest get HTTP 503, and room frees up again", () =>
    underAttack({ maxConnections: 40 }, async (s) => {
      let peak = 0;
      s.sb.on((e) => void (e.type === "client:connected" && (peak = Math.max(peak, s.sb["hub"].counts().connections))));
      const { open, refused } = await burst(s.ws, 120);
      expect(open.length).toBe(39); // the sentinel holds one place
      expect(refused).toBe(81);
      expect(peak).toBeLessThanOrEqual(40);
      expect(await upgradeStatus(s)).toBe(503);
      for (const c of open.slice(0, 10)) c.close();
      await waitUntil(() => s.sb["hub"].counts().connections === 30, 5000, "closed sockets to be released");
      const again = await burst(s.ws, 10);
      expect(again.open.length).toBe(10);
      for (const c of [...open, ...again.open]) c.close();
    }), 30_000);

  test("MAX_CONNECTIONS_PER_USER: 20 concurrent logins of one user (some encrypted) admit exactly the cap; the others get 4008", () =>
    underAttack({ maxConnectionsPerUser: 3 }, async (s) => {
      const token = await s.token({ sub: "mallory" });
      const sockets = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(s.ws)));
      const keys = await Promise.all(sockets.map(async (_, i) => (i % 2 ? (await generateKeyPair()).publicKey : undefined)));
      sockets.forEach((c, i) => c.send({ event: "authenticate", data: { token, publicKey: keys[i] } }));
      const outcomes = await Promise.all(sockets.map((c) => Promise.race([c.waitForEvent("connected", 10_000).then(() => "connected"), c.waitClosed(10_000).then((i) => i.code)])));
      expect(outcomes.filter((o) => o === "connected")).toHaveLength(3);
      expect(outcomes.filter((o) => o === 4008)).toHaveLength(17);
      expect(s.sb["hub"]["registry"].clientsOfUser("mallory")?.size).toBe(3);
      for (const c of sockets) c.close();
    }), 30_000);

  test("RATE_LIMIT_PER_S: flooders are warned then closed 4005; a client at half the rate is never limited", () =>
    underAttack({ rateLimitPerSecond: 50 }, async (s) => {
      const flooders = await Promise.all(Array.from({ length: 5 }, (_, i) => s.client({ sub: `flood-${i}` })));
      const polite = await s.client({ sub: "polite" });
      let sent = 0;
      const timer = setInterval(() => polite.send({ event: "heartbeat", id: `p${sent++}` }), 40);
      try {
        for (let round = 0; round < 20; round++) for (const c of flooders) for (let i = 0; i < 50; i++) c.send({ event: "heartbeat" });
        for (const c of flooders) {
          expect(await c.waitClosed(5000)).toEqual({ code: 4005, reason: "Rate limit exceeded" });
          expect(c.frames.filter((f) => f.event === "error").map((f) => f.data.message)).toContain("Rate limit exceeded");
        }
        await waitUntil(() => sent >= 40, 5000, "the polite client to run for over a second (time is the subject)");
        await polite.waitFor((f) => f.event === "heartbeat" && f.data.id === `p${sent - 1}`, 3000, "the polite client's last answer");
      } finally {
        clearInterval(timer);
      }
      expect(polite.isClosed).toBe(false);
      expect(polite.frames.filter((f) => f.event === "error")).toEqual([]);
      polite.close();
    }), 30_000);

  test("MAX_UNAUTHENTICATED_CONNECTIONS and AUTH_TIMEOUT_MS: sockets that never authenticate are capped (503, client and admin paths) and closed 4001", () =>
    underAttack({ maxUnauthenticated: 25, authTimeout: 600 }, async (s) => {
      const { open, refused } = await burst(s.ws, 80);
      expect(open.length).toBe(25);
      expect(refused).toBe(55);
      expect(await upgradeStatus(s)).toBe(503);
      expect(await upgradeStatus(s, "/admin/ws")).toBe(503);
      // Authenticated clients do not count: the sentinel is unaffected, and its stream goes on.
      for (const c of open) expect(await c.waitClosed(5000)).toEqual({ code: 4001, reason: "Authentication timeout" });
      await waitUntil(() => s.sb["hub"].counts().connections === 1, 5000, "only the sentinel left");
      const late = await s.client({ sub: "late" });
      expect(late.id).toBeString();
      late.close();
    }), 30_000);

  test("admin sockets that never authenticate count toward the same cap and are closed 4001", () =>
    underAttack({ maxUnauthenticated: 10, authTimeout: 500 }, async (s) => {
      const { open, refused } = await burst(`ws://127.0.0.1:${s.port}/admin/ws`, 30);
      expect([open.length, refused]).toEqual([10, 20]);
      expect(await upgradeStatus(s)).toBe(503);
      for (const c of open) expect((await c.waitClosed(5000)).code).toBe(4001);
      const again = await burst(s.ws, 5);
      expect(again.open.length).toBe(5);
      for (const c of again.open) c.close();
    }), 30_000);

  test("authenticated sockets that go silent and stop reading (half-open) are closed 4002 and forgotten", () =>
    underAttack({ heartbeatInterval: 100, heartbeatTimeout: 400 }, async (s) => {
      const token = await s.token({ sub: "ghost" });
      const ghosts = await Promise.all(Array.from({ length: 30 }, () => RawWebSocket.open(s.port, "/ws")));
      for (const g of ghosts) g.sendText(JSON.stringify({ event: "authenticate", data: { token } }));
      await waitUntil(() => s.sb["hub"].counts().authenticated === 31, 5000, "the ghosts to authenticate");
      for (const g of ghosts) g.pause();
      await waitUntil(() => s.sb["hub"].counts().connections === 1, 5000, "every ghost closed (the heartbeating sentinel stays)");
      expect(s.sb["hub"]["registry"].clientsOfUser("ghost")).toBeUndefined();
      for (const g of ghosts) g.destroy();
    }), 30_000);
});
