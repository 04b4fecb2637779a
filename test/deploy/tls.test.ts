/**
 * TLS_CERT_FILE / TLS_KEY_FILE (SPEC §16) on the real CLI process: HTTPS and WSS with a
 * self-signed certificate made here with openssl, the SDK authenticating over wss:// and
 * receiving an emit, and SIGHUP swapping the certificate for new connections while an open
 * connection stays open and keeps receiving. Bad files exit 2 with one line naming the variable.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { createClient, type SwitchboardClient } from "../../shared/client/index.ts";
import { signToken } from "../../server/auth/jwt.ts";
import { prepareInstances, startInstance, type Instance } from "../helpers/instances.ts";
import { CliProcess } from "../helpers/process.ts";
import { ADMIN_TOKEN, TEST_SECRET } from "../helpers/server.ts";
import { makeCert, servedFingerprint, tempDir, trustingWebSocket, until, type TestCert } from "./helpers.ts";

const dir = tempDir("tls");
const certA = makeCert(dir, "cert-a");
const certB = makeCert(dir, "cert-b");
// The files the server is configured with; the test overwrites them to "renew" the certificate.
const live = { certFile: join(dir, "live.crt"), keyFile: join(dir, "live.key") };
copyFileSync(certA.certFile, live.certFile);
copyFileSync(certA.keyFile, live.keyFile);

function fingerprintOf(cert: TestCert): string {
  return new X509Certificate(cert.pem).fingerprint256;
}

async function sdkClient(port: number, ca: string, sub: string): Promise<{ client: SwitchboardClient; got: unknown[] }> {
  const got: unknown[] = [];
  const client = createClient({ url: `wss://localhost:${port}/ws`, token: await signToken(TEST_SECRET, { sub }, "1h"), WebSocket: trustingWebSocket(ca), encryption: "off", reconnect: false });
  client.on("news", (data) => got.push(data));
  await client.connect();
  await client.join("tls-room");
  return { client, got };
}

async function httpsEmit(port: number, ca: string, data: unknown): Promise<Response> {
  return fetch(`https://localhost:${port}/api/emit`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ to: { room: "tls-room" }, event: "news", data }),
    tls: { ca },
  } as RequestInit);
}

describe("TLS_CERT_FILE / TLS_KEY_FILE", () => {
  let instance: Instance;

  beforeAll(async () => {
    await prepareInstances();
    instance = await startInstance("tls-1", { TLS_CERT_FILE: live.certFile, TLS_KEY_FILE: live.keyFile });
  });
  afterAll(async () => {
    await instance?.stop();
  });

  test("serves HTTPS with the configured certificate", async () => {
    const res = await fetch(`https://localhost:${instance.port}/api/health`, { tls: { ca: certA.pem } } as RequestInit);
    expect(res.status).toBe(200);
    expect(await servedFingerprint(instance.port, certA.pem)).toBe(fingerprintOf(certA));
    // Plain HTTP on the TLS port is not served.
    await expect(fetch(`http://127.0.0.1:${instance.port}/api/health`).then((r) => r.status)).rejects.toBeDefined();
  });

  test("the SDK authenticates over wss:// and receives an emit; SIGHUP serves a new certificate and keeps the open connection", async () => {
    const old = await sdkClient(instance.port, certA.pem, "tls-old");
    expect((await httpsEmit(instance.port, certA.pem, { n: 1 })).status).toBe(202);
    await until(() => old.got.length === 1, 5000, "first emit over wss");
    expect(old.got[0]).toEqual({ n: 1 });

    copyFileSync(certB.certFile, live.certFile);
    copyFileSync(certB.keyFile, live.keyFile);
    instance.proc.kill("SIGHUP");
    await instance.waitForLog((l) => l.msg === "TLS certificate reloaded", 5000, "reload line");

    // A new connection sees the new certificate (verified against B only).
    expect(await servedFingerprint(instance.port, certB.pem)).toBe(fingerprintOf(certB));
    const fresh = await sdkClient(instance.port, certB.pem, "tls-new");
    // The connection opened before the reload is still open and still receives.
    expect(old.client.state).toBe("connected");
    expect((await httpsEmit(instance.port, certB.pem, { n: 2 })).status).toBe(202);
    await until(() => old.got.length === 2 && fresh.got.length === 1, 5000, "second emit on both connections");
    expect(old.got[1]).toEqual({ n: 2 });
    expect(fresh.got[0]).toEqual({ n: 2 });
    old.client.close();
    fresh.client.close();
  });

  test("a SIGHUP with an unusable key file keeps the certificate in use and the server running", async () => {
    writeFileSync(live.keyFile, "not a key\n");
    instance.proc.kill("SIGHUP");
    await instance.waitForLog((l) => l.msg === "TLS reload failed; still serving the previous certificate", 5000, "reload failure line");
    expect(await servedFingerprint(instance.port, certB.pem)).toBe(fingerprintOf(certB));
    copyFileSync(certB.keyFile, live.keyFile);
  });
});

describe("invalid TLS settings exit 2 with one line naming the variable", () => {
  const garbage = join(dir, "garbage.pem");
  writeFileSync(garbage, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
  const unreadable = join(dir, "unreadable.key");
  copyFileSync(certA.keyFile, unreadable);
  chmodSync(unreadable, 0o000);
  const cases: Array<[string, Record<string, string>, string]> = [
    ["only the certificate", { TLS_CERT_FILE: certA.certFile }, "TLS_KEY_FILE"],
    ["only the key", { TLS_KEY_FILE: certA.keyFile }, "TLS_CERT_FILE"],
    ["a missing certificate file", { TLS_CERT_FILE: join(dir, "nope.crt"), TLS_KEY_FILE: certA.keyFile }, "TLS_CERT_FILE"],
    ["a certificate that does not parse", { TLS_CERT_FILE: garbage, TLS_KEY_FILE: certA.keyFile }, "TLS_CERT_FILE"],
    ["a key that is not a key", { TLS_CERT_FILE: certA.certFile, TLS_KEY_FILE: certA.certFile }, "TLS_KEY_FILE"],
    ["the key of another certificate", { TLS_CERT_FILE: certA.certFile, TLS_KEY_FILE: certB.keyFile }, "TLS_KEY_FILE"],
  ];
  // root reads any file whatever its mode, so the unreadable case only means something for others.
  if (process.getuid?.() !== 0) cases.push(["an unreadable key file", { TLS_CERT_FILE: certA.certFile, TLS_KEY_FILE: unreadable }, "TLS_KEY_FILE"]);

  for (const [name, env, variable] of cases) {
    test(`${name}: names ${variable}`, async () => {
      const cli = CliProcess.start(["start"], { NODE_ENV: "test", PORT: "0", HOST: "127.0.0.1", JWT_SECRET: TEST_SECRET, ADMIN_TOKEN, ...env });
      expect(await cli.exited).toBe(2);
      const err = cli.stderr.join("\n").trim();
      expect(err.split("\n")).toHaveLength(1);
      expect(err).toContain(variable);
    });
  }
});
