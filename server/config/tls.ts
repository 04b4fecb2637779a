/**
 * @module server/config/tls
 * TLS_CERT_FILE / TLS_KEY_FILE (SPEC §16): both or neither; each file readable and PEM that
 * parses; the key belongs to the certificate. Read at start-up (a bad file is a ConfigError, exit
 * 2) and again on every reload (SIGHUP), where an error keeps the certificate in use.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "./settings.ts";

export interface TlsFiles {
  certFile?: string;
  keyFile?: string;
}

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the leaf certificate (logged, so an operator can see which one is served). */
  fingerprint: string;
}

function readPem(variable: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new ConfigError(`Invalid configuration: ${variable}=${JSON.stringify(path)}: cannot read it (${code}): expected a readable PEM file`);
  }
}

/** The certificate and key, or undefined when neither variable is set. */
export function readTlsFiles({ certFile, keyFile }: TlsFiles): TlsMaterial | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new ConfigError(`Invalid configuration: TLS_CERT_FILE is unset while TLS_KEY_FILE=${JSON.stringify(keyFile)}: expected both or neither`);
  if (keyFile === undefined) throw new ConfigError(`Invalid configuration: TLS_KEY_FILE is unset while TLS_CERT_FILE=${JSON.stringify(certFile)}: expected both or neither`);
  const cert = readPem("TLS_CERT_FILE", certFile);
  const key = readPem("TLS_KEY_FILE", keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new ConfigError(`Invalid configuration: TLS_CERT_FILE=${JSON.stringify(certFile)}: expected a PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError(`Invalid configuration: TLS_KEY_FILE=${JSON.stringify(keyFile)}: expected an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new ConfigError(`Invalid configuration: TLS_KEY_FILE=${JSON.stringify(keyFile)}: expected the private key of the certificate in TLS_CERT_FILE=${JSON.stringify(certFile)}`);
  }
  return { cert, key, fingerprint: x509.fingerprint256 };
}
