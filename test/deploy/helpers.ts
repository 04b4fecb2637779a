/**
 * Helpers for the deployment tests: self-signed certificates made with the real `openssl`, a
 * WebSocket constructor that trusts one such certificate (for the SDK's `WebSocket` option), and
 * the SHA-256 fingerprint a TLS server presents.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { connect } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCert {
  certFile: string;
  keyFile: string;
  pem: string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sb-${prefix}-`));
}

/** A self-signed certificate for 127.0.0.1/localhost (it is its own CA). */
export function makeCert(dir: string, name: string): TestCert {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const run = Bun.spawnSync([
    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`,
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", keyFile, "-out", certFile,
  ], { stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl failed: ${run.stderr.toString()}`);
  return { certFile, keyFile, pem: readFileSync(certFile, "utf8") };
}

/** A WebSocket class that verifies the server against `ca` (Bun's `tls` constructor option). */
export function trustingWebSocket(ca: string): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string | URL) {
      super(url, { tls: { ca } } as unknown as string[]);
    }
  } as typeof WebSocket;
}

/** The fingerprint of the certificate a new TLS connection to `port` is shown (verified against `ca`). */
export function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on("error", reject);
  });
}

/** Polls `check` until it holds (no bare sleeps in assertions). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, label = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await Bun.sleep(25);
  }
}
