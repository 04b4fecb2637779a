/**
 * Where HOST and PORT meet the machine (issue 9): an address that cannot be bound, or a port
 * already taken, is a configuration error — exit 2 with one line naming both — not a crash
 * with a stack trace.
 */
import { describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { CliProcess } from "../helpers/process.ts";

const KEYS = { JWT_SECRET: "cli-listen-secret-0123456789", ADMIN_TOKEN: "cli-listen-admin-0123456789" };

async function refusal(env: Record<string, string>): Promise<string[]> {
  const cli = CliProcess.start(["start"], { ...KEYS, ...env });
  try {
    expect(await cli.exited).toBe(2);
    await cli.waitForLine((l) => l.startsWith("Invalid configuration"), 3000, "the refusal line");
    return cli.stderr.filter((l) => l.trim().length > 0);
  } finally {
    cli.kill("SIGKILL");
  }
}

describe("switchboard start: binding", () => {
  test("a HOST that is not an address of this machine exits 2 with one line", async () => {
    for (const host of ["192.0.2.1", "host.invalid"]) {
      const lines = await refusal({ HOST: host, PORT: "0" });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toStartWith(`Invalid configuration: cannot listen on HOST="${host}" PORT=0: `);
    }
  });

  test("a PORT already in use exits 2 with one line", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const lines = await refusal({ HOST: "127.0.0.1", PORT: String(port) });
      expect(lines).toEqual([`Invalid configuration: cannot listen on HOST="127.0.0.1" PORT=${port}: EADDRINUSE: expected an address of this machine and a free port`]);
    } finally {
      blocker.close();
    }
  });
});
