/**
 * Token verification attacks and key kinds (SPEC §2 tokens, §11): each bad token is refused with
 * 4003 on a real socket; each supported key kind accepts a good token.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { startServer, TEST_SECRET, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";

const b64url = (s: string) => Buffer.from(s).toString("base64url");

async function verdict(s: TestServer, token: string): Promise<{ accepted: boolean; code?: number; data?: any }> {
  const c = await TestClient.connect(s.ws);
  c.send({ event: "authenticate", data: { type: "Bearer", token } });
  const first = await c.waitFor((f) => f.event === "connected" || f.event === "error");
  if (first.event === "connected") {
    c.close();
    return { accepted: true, data: first.data };
  }
  return { accepted: false, code: (await c.waitClosed()).code };
}

const sign = (claims: Record<string, unknown>, secret = TEST_SECRET, alg = "HS256") =>
  new SignJWT(claims).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime("1h").sign(new TextEncoder().encode(secret));

describe("HS256 secret", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ jwtIssuer: "https://issuer.test", jwtAudience: "switchboard" });
  });
  afterAll(() => s.stop());
  const good = { sub: "u", iss: "https://issuer.test", aud: "switchboard" };

  test("a valid token with the right issuer and audience is accepted, and meta becomes metadata", async () => {
    const c = await TestClient.authenticated(s.ws, await sign({ ...good, meta: { plan: "pro" } }));
    expect(s.sb.getClient(c.id)).toMatchObject({ userId: "u", metadata: { plan: "pro" } });
    c.close();
  });

  test("alg none is refused with 4003", async () => {
    const token = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify({ ...good, exp: Math.floor(Date.now() / 1000) + 60 }))}.`;
    expect(await verdict(s, token)).toEqual({ accepted: false, code: 4003 });
  });

  test("a token signed with another secret is refused", async () => {
    expect((await verdict(s, await sign(good, "another-secret-0123456789-abcdef"))).code).toBe(4003);
  });

  test("an algorithm outside the allow-list (HS512 with the right secret) is refused", async () => {
    expect((await verdict(s, await sign(good, TEST_SECRET, "HS512"))).code).toBe(4003);
  });

  test("expired, not-yet-valid, wrong issuer and wrong audience tokens are refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    const key = new TextEncoder().encode(TEST_SECRET);
    const expired = await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now - 10).sign(key);
    const future = await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).setNotBefore(now + 600).setExpirationTime(now + 900).sign(key);
    for (const token of [expired, future, await sign({ ...good, iss: "https://evil.test" }), await sign({ ...good, aud: "other" })]) {
      expect((await verdict(s, token)).code).toBe(4003);
    }
  });

  test("an oversized token is refused unread", async () => {
    expect((await verdict(s, await sign({ ...good, pad: "x".repeat(10_000) }))).code).toBe(4003);
  });

  test("a tampered payload is refused", async () => {
    const [h, , sig] = (await sign(good)).split(".");
    expect((await verdict(s, `${h}.${b64url(JSON.stringify({ ...good, sub: "admin" }))}.${sig}`)).code).toBe(4003);
  });
});

describe("PEM public key", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = rsa.publicKey.export({ type: "spki", format: "pem" }).toString();
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ jwtSecret: undefined, jwtPublicKey: pem });
  });
  afterAll(() => s.stop());

  test("an RS256 token signed with the private key is accepted", async () => {
    const token = await new SignJWT({ sub: "rs" }).setProtectedHeader({ alg: "RS256" }).setExpirationTime("1h").sign(rsa.privateKey);
    expect((await verdict(s, token)).accepted).toBe(true);
  });

  test("HS/RS confusion: an HS256 token keyed with the public PEM is refused", async () => {
    expect((await verdict(s, await sign({ sub: "x" }, pem, "HS256"))).code).toBe(4003);
  });
});

describe("JWKS URL", () => {
  let s: TestServer;
  let jwks: ReturnType<typeof Bun.serve>;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => Response.json({ keys: [jwk] }) });
    s = await startServer({ jwtSecret: undefined, jwtJwksUrl: `http://127.0.0.1:${jwks.port}/.well-known/jwks.json` });
  });
  afterAll(async () => {
    await s.stop();
    jwks.stop(true);
  });

  test("an ES256 token whose kid is in the JWKS is accepted; an unknown kid is refused", async () => {
    const ok = await new SignJWT({ sub: "es" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setExpirationTime("1h").sign(privateKey);
    expect((await verdict(s, ok)).accepted).toBe(true);
    const unknown = await new SignJWT({ sub: "es" }).setProtectedHeader({ alg: "ES256", kid: "k2" }).setExpirationTime("1h").sign(privateKey);
    expect((await verdict(s, unknown)).code).toBe(4003);
  });
});
