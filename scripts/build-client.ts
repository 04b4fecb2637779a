/**
 * Builds what Node.js and browser consumers of `switchboard/client`, `switchboard/emitter` and `switchboard/webhooks`
 * need (Bun consumers use the TypeScript sources directly):
 *   dist/client/index.js                 ESM for bundlers and Node.js 20+
 *   dist/client/switchboard-client.js    minified ESM bundle for a <script type="module">
 *   dist/emitter/index.js                ESM for Node.js 20+ (ioredis stays a dependency)
 *   dist/webhooks/index.js               ESM for Node.js 20+ (verifyWebhook; WebCrypto only)
 *   dist/types/shared/…/*.d.ts           declarations (relative imports rewritten to .js)
 * Run with `npm run build:client` (Bun). Exits non-zero on the first failure.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const DIST = join(ROOT, "dist");

async function bundle(config: Parameters<typeof Bun.build>[0]): Promise<void> {
  const result = await Bun.build(config);
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`bundling ${config.entrypoints.join(", ")} failed`);
  }
}

/** tsc keeps the `.ts` extensions of our relative imports; consumers resolve `.js` → `.d.ts`. */
async function rewriteDeclarationImports(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".d.ts")) continue;
    const file = join(entry.parentPath, entry.name);
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace(/(from\s+["']\.{1,2}\/[^"']*?)\.ts(["'])/g, "$1.js$2"));
  }
}

async function declarations(): Promise<void> {
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const proc = Bun.spawn([process.execPath, tsc, "-p", join(ROOT, "tsconfig.build.json")], { stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) throw new Error("tsc -p tsconfig.build.json failed");
  await rewriteDeclarationImports(join(DIST, "types"));
}

async function main(): Promise<void> {
  await Promise.all(["client", "emitter", "webhooks", "types"].map((d) => rm(join(DIST, d), { recursive: true, force: true })));
  const client = join(ROOT, "shared", "client", "index.ts");
  await bundle({ entrypoints: [client], outdir: join(DIST, "client"), naming: "index.js", target: "browser", format: "esm", sourcemap: "linked" });
  await bundle({ entrypoints: [client], outdir: join(DIST, "client"), naming: "switchboard-client.js", target: "browser", format: "esm", minify: true, sourcemap: "linked" });
  await bundle({ entrypoints: [join(ROOT, "shared", "emitter.ts")], outdir: join(DIST, "emitter"), naming: "index.js", target: "node", format: "esm", packages: "external", sourcemap: "linked" });
  await bundle({ entrypoints: [join(ROOT, "shared", "webhooks.ts")], outdir: join(DIST, "webhooks"), naming: "index.js", target: "node", format: "esm", sourcemap: "linked" });
  await declarations();
  console.log("built dist/client, dist/emitter, dist/webhooks and dist/types");
}

main().catch((err) => {
  console.error(String(err instanceof Error ? err.message : err));
  process.exit(1);
});
