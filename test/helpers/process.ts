/**
 * Spawns the Switchboard CLI as a separate process (with Bun, `process.execPath`) and reads its
 * output line by line, with timed waits.
 */
import { join } from "node:path";

export const CLI = join(import.meta.dir, "..", "..", "server", "cli.ts");

export class CliProcess {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  private waiters: Array<{ match: (l: string) => boolean; resolve: (l: string) => void }> = [];
  readonly exited: Promise<number>;

  constructor(readonly proc: ReturnType<typeof Bun.spawn>) {
    this.pump(proc.stdout as ReadableStream<Uint8Array>, this.lines);
    this.pump(proc.stderr as ReadableStream<Uint8Array>, this.stderr);
    this.exited = proc.exited;
  }

  static start(args: string[], env: Record<string, string | undefined>): CliProcess {
    const proc = Bun.spawn([process.execPath, CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as Record<string, string>,
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    });
    return new CliProcess(proc);
  }

  private async pump(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        into.push(line);
        for (const w of [...this.waiters]) if (w.match(line)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  }

  waitForLine(match: (line: string) => boolean, timeoutMs = 10_000, label = "line"): Promise<string> {
    const seen = [...this.lines, ...this.stderr].find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${label}; stdout: ${this.lines.slice(-10).join("\n")}; stderr: ${this.stderr.slice(-10).join("\n")}`)), timeoutMs);
      this.waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }

  /** The port from the JSON `listening` log line. */
  async port(timeoutMs = 10_000): Promise<number> {
    const line = await this.waitForLine((l) => l.includes('"msg":"listening"'), timeoutMs, "listening log line");
    return JSON.parse(line).port;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    this.proc.kill(signal);
  }
}
