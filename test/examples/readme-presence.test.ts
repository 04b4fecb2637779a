/**
 * The README's Presence example, extracted from README.md and run as written (a user copies it
 * into a file and runs it with Bun): it prints the roster before and after Bob arrives.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/instances.ts";

function snippet(marker: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const at = readme.indexOf(marker);
  expect(at).toBeGreaterThan(-1);
  const start = readme.indexOf("```ts", at) + "```ts".length;
  return readme.slice(start, readme.indexOf("```", start));
}

test("the README presence example prints the roster as Bob joins", async () => {
  // Inside the repository, so that `switchboard` resolves to this package (as it does once installed).
  const dir = mkdtempSync(join(ROOT, ".tmp-readme-"));
  try {
    const file = join(dir, "presence.ts");
    writeFileSync(file, snippet("<!-- readme-presence-example -->"));
    const proc = Bun.spawn([process.execPath, file], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out.split("\n").filter(Boolean)).toEqual(["roster: Alice", "Bob joined", "roster: Alice, Bob"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
