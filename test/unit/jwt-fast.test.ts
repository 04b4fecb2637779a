/**
 * The HS* fast path of JwtVerifier must accept exactly what jose's jwtVerify accepts: every
 * token here gets the same verdict (and, when accepted, the same payload) from both.
 */
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { jwtVerify, SignJWT, type JWTPayload } from "jose";
import { JwtVerifier } from "../../server/auth/jwt.ts";

const SECRET = "unit-secret-0123456789abcdef";
const KEY = new TextEncoder().encode(SECRET);
const settings = { jwtSecret: SECRET, jwtAlgorithms: ["HS256", "HS384"], jwtIssuer: "iss-a", jwtAudience: "aud-a" };
const verifier = JwtVerifier.create(settings)!;
const now = Math.floor(Date.now() / 1000);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function hand(header: Record<string, unknown>, payload: unknown, hash = "sha256"): string {
  const signed = `${b64(header)}.${b64(payload)}`;
  return `${signed}.${createHmac(hash, KEY).update(signed).digest("base64url")}`;
}

async function signed(claims: JWTPayload, alg = "HS256"): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(KEY);
}

async function verdicts(token: string): Promise<[unknown, unknown]> {
  const ours = await verifier.verify(token).then((p) => p, () => "rejected");
  const jose = await jwtVerify(token, KEY, { algorithms: settings.jwtAlgorithms, issuer: settings.jwtIssuer, audience: settings.jwtAudience }).then((r) => r.payload, () => "rejected");
  return [ours, jose];
}

describe("JwtVerifier HS fast path agrees with jose", () => {
  const good = { sub: "u1", iss: "iss-a", aud: "aud-a", exp: now + 600, rooms: ["a"] };
  const cases: [string, () => Promise<string> | string][] = [
    ["valid HS256", () => signed(good)],
    ["valid HS384", () => signed(good, "HS384")],
    ["HS512 (not allowed)", () => signed(good, "HS512")],
    ["expired", () => signed({ ...good, exp: now - 10 })],
    ["not yet valid", () => signed({ ...good, nbf: now + 600 })],
    ["wrong issuer", () => signed({ ...good, iss: "iss-b" })],
    ["audience array containing ours", () => signed({ ...good, aud: ["x", "aud-a"] })],
    ["wrong audience", () => signed({ ...good, aud: "aud-b" })],
    ["exp not a number", () => hand({ alg: "HS256" }, { ...good, exp: "soon" })],
    ["payload not an object", () => hand({ alg: "HS256" }, [1, 2])],
    ["alg none", () => `${b64({ alg: "none" })}.${b64(good)}.`],
    ["crit header", () => hand({ alg: "HS256", crit: ["x"], x: 1 }, good)],
    ["b64 false", () => hand({ alg: "HS256", b64: false, crit: ["b64"] }, good)],
    ["header not JSON", () => `bm90IGpzb24.${b64(good)}.abc`],
    ["tampered payload", async () => (await signed(good)).replace(/\.[^.]+\./, `.${b64({ ...good, sub: "admin" })}.`)],
    ["signature with a changed character", async () => {
      const t = await signed(good);
      return t.slice(0, -2) + (t.at(-2) === "A" ? "B" : "A") + t.at(-1);
    }],
    ["signature padded with '='", async () => `${await signed(good)}=`],
    ["four parts", async () => `${await signed(good)}.x`],
  ];
  for (const [name, make] of cases) {
    test(name, async () => {
      const [ours, jose] = await verdicts(await make());
      expect(ours).toEqual(jose);
    });
  }
});
