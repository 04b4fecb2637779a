/**
 * Runs the standalone emitter on Node.js (not Bun): `shared/emitter.ts` is bundled for the
 * `node` target with `ioredis` left external, then a small Node script performs a list of
 * emitter calls. A Bun-only API in the emitter would fail here.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./instances.ts";

const OUT = join(ROOT, "node_modules", ".cache", "switchboard-test");

const RUNNER = `import { createEmitter } from "./emitter.mjs";
const [url, ops] = process.argv.slice(2);
const emitter = createEmitter({ redisUrl: url });
try {
  for (const op of JSON.parse(ops)) await emitter[op.method](...op.args);
} finally {
  await emitter.shutdown();
}
`;

export interface EmitterCall {
  method: "toClient" | "toUser" | "toRoom" | "broadcast";
  args: unknown[];
}

let built: Promise<void> | undefined;

function build(): Promise<void> {
  built ??= (async () => {
    mkdirSync(OUT, { recursive: true });
    const result = await Bun.build({ entrypoints: [join(ROOT, "shared", "emitter.ts")], target: "node", format: "esm", external: ["ioredis"], outdir: OUT, naming: "emitter.mjs" });
    if (!result.success) throw new Error(`bundling the emitter for Node failed: ${result.logs.join("\n")}`);
    writeFileSync(join(OUT, "run.mjs"), RUNNER);
  })();
  return built;
}

/** Performs the calls in order with `node`; rejects with its stderr on a non-zero exit. */
export async function emitWithNode(redisUrl: string, calls: EmitterCall[]): Promise<void> {
  await build();
  const node = Bun.which("node");
  if (!node) throw new Error("node not found on PATH: the emitter's Node.js check needs Node.js 20+");
  const proc = Bun.spawn([node, join(OUT, "run.mjs"), redisUrl, JSON.stringify(calls)], { stdout: "pipe", stderr: "pipe" });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr as ReadableStream<Uint8Array>).text()]);
  if (code !== 0) throw new Error(`node emitter exited with ${code}: ${stderr}`);
}
