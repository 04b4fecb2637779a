#!/usr/bin/env node
// Runs the Switchboard CLI on Bun (installed from npm as a dependency). Works from `npm start`,
// `npx switchboard` and a direct call.
//
// Signals: the wrapper keeps its SIGINT/SIGTERM handlers for its whole life (it must never die
// before the server it started) and forwards the first signal of the run to the Bun child, once.
// Later copies are not forwarded: a process-group kill (`kill -TERM -<pgid>`, systemd's
// control-group mode, Ctrl-C in a terminal) already reaches the child directly, and npm forwards
// its own copy to this wrapper, so one signal arrives here several times. The child drains on the
// first copy it sees and ignores repeats (server/cli.ts); the wrapper exits with its exit code.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
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
  let forwarded = false;
  const forwardOnce = (signal) => {
    if (forwarded) return;
    forwarded = true;
    child.kill(signal);
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, forwardOnce);
  // SIGHUP (TLS reload) is forwarded every time: without a handler it would kill the wrapper and
  // orphan the server. A group SIGHUP reaches the child twice, which reloads twice (harmless).
  process.on("SIGHUP", () => child.kill("SIGHUP"));
  // Killed by a signal (SIGKILL, or one the child does not handle): the shell convention 128 + n.
  child.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
}
