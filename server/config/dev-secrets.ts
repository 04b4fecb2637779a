/**
 * @module server/config/dev-secrets
 * Development mode's credentials, kept across restarts (issue 20): the CLI stores the made-up
 * HS256 secret and admin token in `.switchboard-dev.json` in the working directory (mode 0600,
 * git-ignored), so a restart keeps client tokens valid — an SDK client reconnects after 1001
 * instead of meeting 4003 — and the dashboard stays logged in. Delete the file for new ones.
 * A file that cannot be read as such credentials is a ConfigError (one line, exit 2), never
 * silently replaced: tokens minted from it would stop working.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { randomDevCredentials, type DevCredentials } from "./options.ts";
import { ConfigError } from "./settings.ts";

export const DEV_SECRETS_FILE = ".switchboard-dev.json";

function parse(path: string, text: string): DevCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const v = value as Partial<DevCredentials> | undefined;
  if (typeof v?.jwtSecret !== "string" || Buffer.byteLength(v.jwtSecret) < 32 || typeof v.adminToken !== "string" || v.adminToken.length < 16) {
    throw new ConfigError(`Invalid configuration: ${path} is not a development credentials file: expected {"jwtSecret": ≥ 32 bytes, "adminToken": ≥ 16 characters}; delete it to make new ones`);
  }
  return { jwtSecret: v.jwtSecret, adminToken: v.adminToken };
}

/**
 * Reads the credentials from `dir/.switchboard-dev.json`, or creates the file (exclusively, mode
 * 0600) with fresh ones. `created` tells which; a file readable by others is set back to 0600.
 */
export function loadOrCreateDevSecrets(dir = process.cwd()): { path: string; created: boolean; credentials: DevCredentials } {
  const path = resolve(dir, DEV_SECRETS_FILE);
  const fresh = randomDevCredentials();
  try {
    writeFileSync(path, JSON.stringify({ ...fresh, note: "Switchboard development credentials; delete this file for new ones" }, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    return { path, created: true, credentials: fresh };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ConfigError(`Invalid configuration: cannot create ${path}: ${(err as NodeJS.ErrnoException).code}: expected a writable working directory (or set JWT_SECRET and ADMIN_TOKEN)`);
    }
  }
  const credentials = parse(path, readFileSync(path, "utf8"));
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { path, created: false, credentials };
}
