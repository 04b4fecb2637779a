/**
 * @module bench/lib/build
 * Bundles the Node-side bench server (`bench/servers/socketio.ts`) into `bench/.build/` (git-
 * ignored) with Bun's bundler. npm packages stay external and resolve from the repository's
 * node_modules, so Socket.IO runs exactly as published.
 */
import { join } from "node:path";

const BENCH = join(import.meta.dir, "..");

export async function buildNodeServer(): Promise<string> {
  const result = await Bun.build({
    entrypoints: [join(BENCH, "servers", "socketio.ts")],
    outdir: join(BENCH, ".build"),
    target: "node",
    format: "esm",
    naming: "[name].mjs",
    packages: "external",
  });
  if (!result.success) throw new Error(`building the Socket.IO bench server failed:\n${result.logs.join("\n")}`);
  return join(BENCH, ".build", "socketio.mjs");
}
