/**
 * The package as a user installs it: `npm pack` (prepack builds dist/), the tarball installed
 * into a temp project from the npm registry's dependencies (`--omit=optional` skips the ~100 MB
 * Bun binary package: the Bun case uses this test's own Bun), then imported on Node and Bun.
 * Takes about a minute (pack ~30 s, install ~15 s).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/instances.ts";
import { tempDir } from "../deploy/helpers.ts";

const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const app = tempDir("pkg-app");

async function run(cmd: string[], cwd: string): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: out + err };
}

const node = (code: string) => run(["node", "--input-type=module", "-e", code], app);
const bun = (code: string) => run([process.execPath, "-e", code], app);

describe("npm pack → npm install <tarball> in a temp project", () => {
  beforeAll(async () => {
    const packDir = tempDir("pkg-pack");
    const pack = await run(["npm", "pack", "--pack-destination", packDir], ROOT);
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.out.slice(-2000)}`);
    const tgz = readdirSync(packDir).find((f) => f.endsWith(".tgz"))!;
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    const install = await run(["npm", "install", join(packDir, tgz), "--omit=optional", "--no-audit", "--no-fund"], app);
    if (install.code !== 0) throw new Error(`npm install failed: ${install.out.slice(-2000)}`);
  }, 240_000);

  test("on Node: switchboard/client and switchboard/emitter load", async () => {
    const r = await node("const c = await import('switchboard/client'); const e = await import('switchboard/emitter'); console.log(typeof c.createClient, typeof e.createEmitter)");
    expect(r.out.trim()).toBe("function function");
    expect(r.code).toBe(0);
  });

  test("on Node: switchboard (the server) fails with the one clear message that it needs Bun", async () => {
    const r = await node("await import('switchboard')");
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("Switchboard's server needs the Bun runtime");
  });

  test("on Bun: switchboard and switchboard/client load, and the server starts from the installed package", async () => {
    const r = await bun("const s = await import('switchboard'); const c = await import('switchboard/client'); const sb = s.createSwitchboard({ jwtSecret: 'x'.repeat(32), adminToken: 'y'.repeat(32), logLevel: 'error' }); const srv = await sb.listen({ port: 0, host: '127.0.0.1' }); const h = await fetch('http://127.0.0.1:' + srv.port + '/api/health'); console.log(typeof c.createClient, h.status); await sb.shutdown();");
    expect(r.out.trim()).toBe("function 200");
    expect(r.code).toBe(0);
  });

  // switchboard/webhooks is being added by another change: this case turns on when package.json exports it.
  test.skipIf(!PKG.exports?.["./webhooks"])("on Node and Bun: switchboard/webhooks loads", async () => {
    expect((await node("await import('switchboard/webhooks'); console.log('ok')")).out.trim()).toBe("ok");
    expect((await bun("await import('switchboard/webhooks'); console.log('ok')")).out.trim()).toBe("ok");
  });
});
