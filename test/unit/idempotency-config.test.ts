/** IDEMPOTENCY_TTL_S (SPEC §14): default 300, validated once at start-up like every setting. */
import { describe, expect, test } from "bun:test";
import { resolveOptions } from "../../server/config/options.ts";
import { ConfigError, envWithFlags, settingsFromEnv } from "../../server/config/settings.ts";
import { CliProcess } from "../helpers/process.ts";

describe("IDEMPOTENCY_TTL_S", () => {
  test("defaults to 300 seconds", () => {
    expect(resolveOptions({ jwtSecret: "x".repeat(32), adminToken: "y".repeat(32) }).idempotencyTtlSeconds).toBe(300);
  });

  test("a good value is read from the environment and from a flag", () => {
    expect(settingsFromEnv({ IDEMPOTENCY_TTL_S: "1" })).toEqual({ idempotencyTtlSeconds: 1 });
    expect(settingsFromEnv(envWithFlags(["--idempotency-ttl-s", "86400"], {}))).toEqual({ idempotencyTtlSeconds: 86_400 });
  });

  for (const bad of ["0", "-5", "86401", "1.5", "5m", "abc"]) {
    test(`IDEMPOTENCY_TTL_S=${JSON.stringify(bad)} is one ConfigError line naming it`, () => {
      expect(() => settingsFromEnv({ IDEMPOTENCY_TTL_S: bad })).toThrow(ConfigError);
      expect(() => settingsFromEnv({ IDEMPOTENCY_TTL_S: bad })).toThrow(`Invalid configuration: IDEMPOTENCY_TTL_S=${JSON.stringify(bad)}: expected seconds from 1 to 86400`);
    });
  }

  test("the library option is checked with the same rule", () => {
    expect(() => resolveOptions({ idempotencyTtlSeconds: 0 })).toThrow("Invalid option idempotencyTtlSeconds (IDEMPOTENCY_TTL_S)=0: expected seconds from 1 to 86400");
  });

  test("the server exits 2 at start-up with one line for a bad value", async () => {
    const cli = CliProcess.start(["start"], { PORT: "0", IDEMPOTENCY_TTL_S: "0" });
    expect(await cli.exited).toBe(2);
    await cli.waitForLine((l) => l.length > 0, 2000);
    expect(cli.stderr.filter((l) => l.length > 0)).toEqual(['Invalid configuration: IDEMPOTENCY_TTL_S="0": expected seconds from 1 to 86400']);
  });
});
