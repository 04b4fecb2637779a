/**
 * The CLI as a user runs it: development mode prints working credentials; a plain Ignis-protocol
 * client (no SDK, no ids) uses the printed token, joins an allowed room and receives a REST emit;
 * SIGTERM drains with 1001; bad configuration exits 2 with one line.
 */
import { describe, expect, test } from "bun:test";
import { CliProcess } from "../helpers/process.ts";

function banner(cli: CliProcess, label: string): Promise<string> {
  return cli.waitForLine((l) => l.trimStart().startsWith(label), 15_000, label).then((l) => l.split(label)[1]!.trim());
}

describe("switchboard start", () => {
  test("development mode: the printed client token works for an unmodified Ignis client and the admin token for REST", async () => {
    const cli = CliProcess.start(["start"], { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" });
    try {
      const port = await cli.port(15_000);
      const clientToken = await banner(cli, "Client token:");
      const adminToken = await banner(cli, "Admin token:");
      expect(await banner(cli, "Dashboard:")).toBe(`http://127.0.0.1:${port}/admin/#token=${adminToken}`);

      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const frames: any[] = [];
      const got = (event: string) => new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event}: ${JSON.stringify(frames)}`)), 5000);
        const check = () => {
          const f = frames.find((x) => x.event === event);
          if (f) { clearTimeout(timer); resolve(f); } else setTimeout(check, 5);
        };
        check();
      });
      ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
      const closed = new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)));
      await new Promise((resolve) => (ws.onopen = resolve));
      ws.send(JSON.stringify({ event: "authenticate", data: { type: "Bearer", token: clientToken } }));
      expect((await got("connected")).data.userId).toBe("dev-user");
      ws.send(JSON.stringify({ event: "join", data: { rooms: ["lobby"] } }));
      ws.send(JSON.stringify({ event: "heartbeat" }));

      const emit = async () => fetch(`http://127.0.0.1:${port}/api/emit`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ to: { room: "lobby" }, event: "news", data: { headline: "hi" } }),
      }).then((r) => r.json() as Promise<{ recipients: number }>);
      let result = await emit();
      for (let i = 0; i < 50 && result.recipients === 0; i++) result = await emit();
      expect(result.recipients).toBe(1);
      expect((await got("news")).data).toEqual({ headline: "hi" });
      expect(frames.filter((f) => f.event === "error")).toEqual([]);

      cli.kill("SIGTERM");
      expect(await closed).toBe(1001);
      expect(await cli.exited).toBe(0);
    } finally {
      cli.kill("SIGKILL");
    }
  }, 30_000);

  test("a bad value exits with code 2 and one line naming the variable, the value and what is expected", async () => {
    const cli = CliProcess.start(["start"], { PORT: "abc" });
    expect(await cli.exited).toBe(2);
    await cli.waitForLine((l) => l.length > 0, 2000);
    expect(cli.stderr.filter((l) => l.length > 0)).toEqual(['Invalid configuration: PORT="abc": expected an integer from 0 to 65535 (0 = any free port)']);
  });

  test("NODE_ENV=production without keys is a clear start-up error", async () => {
    const cli = CliProcess.start(["start"], { NODE_ENV: "production", PORT: "0" });
    expect(await cli.exited).toBe(2);
    await cli.waitForLine((l) => l.includes("NODE_ENV=production"), 2000);
  });
});

describe("switchboard token", () => {
  test("mints a client token with JWT_SECRET that the server accepts", async () => {
    const secret = "cli-secret-0123456789-abcdefgh-0123";
    const cli = CliProcess.start(["token", "--sub", "ann", "--rooms", "lobby,chat-*"], { JWT_SECRET: secret });
    expect(await cli.exited).toBe(0);
    const token = cli.lines[0]!;
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(payload).toMatchObject({ sub: "ann", rooms: ["lobby", "chat-*"] });
  });
});
