#!/usr/bin/env node
// Runs the Switchboard CLI on Bun (installed from npm as a dependency). Works from `npm start`,
// `npx switchboard` and a direct call; signals are forwarded so SIGTERM drains the server.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "server", "cli.ts");
const args = process.argv.slice(2);

if (process.versions.bun) {
  process.argv = [process.argv[0], cli, ...args];
  await import(cli);
} else {
  let bun;
  try {
    bun = join(dirname(createRequire(import.meta.url).resolve("bun/package.json")), "bin", "bun.exe");
  } catch {
    console.error("switchboard: the Bun runtime is missing; run `npm install` (it installs the npm package `bun`).");
    process.exit(1);
  }
  const child = spawn(bun, [cli, ...args], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
