/**
 * The random-IV replay memory (shared/iv-memory): exact against a plain reference model through
 * growth, wrap-around and evictions, bounded, validated, and its heap cost per session (the
 * figures written in shared/crypto.ts and the README come from scripts/iv-memory-cost.ts; these
 * bounds keep them honest).
 */
import { describe, expect, test } from "bun:test";
import { IvMemory, RANDOM_IV_MEMORY } from "../../shared/iv-memory.ts";
import { Direction, FrameCipher } from "../../shared/crypto.ts";

/** xorshift32, so a failure replays with the same IVs. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function ivFrom(next: () => number): Uint8Array {
  return Uint8Array.from({ length: 12 }, () => Math.floor(next() * 256));
}

describe("IvMemory", () => {
  for (const limit of [1, 3, 64, 65, 100, RANDOM_IV_MEMORY]) {
    test(`limit ${limit}: answers exactly like a Set of the last ${limit} distinct IVs over 20,000 operations`, () => {
      const next = rng(20261127 + limit);
      const pool = Array.from({ length: limit * 3 }, () => ivFrom(next));
      const memory = new IvMemory(limit);
      const window: string[] = [];
      const model = new Set<string>();
      for (let i = 0; i < 20000; i += 1) {
        const iv = pool[Math.floor(next() * pool.length)]!;
        const key = iv.join();
        expect(memory.has(iv)).toBe(model.has(key));
        if (model.has(key)) continue;
        memory.add(iv);
        model.add(key);
        window.push(key);
        if (window.length > limit) model.delete(window.shift()!);
        expect(memory.size).toBe(model.size);
      }
    });
  }

  test("IVs that differ in a single bit are told apart", () => {
    const memory = new IvMemory(128);
    const base = new Uint8Array(12);
    memory.add(base);
    for (let bit = 0; bit < 96; bit += 1) {
      const iv = base.slice();
      iv[bit >> 3]! ^= 1 << (bit & 7);
      expect(memory.has(iv)).toBe(false);
      memory.add(iv);
    }
    expect(memory.size).toBe(97);
    expect(memory.has(base)).toBe(true);
  });

  test("a limit outside 1..32768 or not an integer is refused", () => {
    for (const limit of [0, -1, 1.5, 32769, Number.NaN]) expect(() => new IvMemory(limit)).toThrow("1..32768");
    expect(new IvMemory(32768).limit).toBe(32768);
  });
});

describe("memory cost per session", () => {
  function heapAfterGc(): number {
    Bun.gc(true);
    return process.memoryUsage().heapUsed;
  }

  test("a full memory (1,024 IVs, 1,100 received) costs 14–20 KB; 1,000 of them stay under 20 MB", async () => {
    // Measured in a fresh Bun process: in the shared test process, garbage of other test files
    // collected during the measurement made the delta meaningless.
    const script = `
      import { IvMemory, RANDOM_IV_MEMORY } from ${JSON.stringify(new URL("../../shared/iv-memory.ts", import.meta.url).pathname)};
      const heap = () => (Bun.gc(true), process.memoryUsage().heapUsed);
      const bytes = crypto.getRandomValues(new Uint8Array(1100 * 12));
      const ivs = Array.from({ length: 1100 }, (_, i) => bytes.subarray(i * 12, i * 12 + 12));
      const memories = [];
      const before = heap();
      for (let s = 0; s < 1000; s += 1) { const m = new IvMemory(); for (const iv of ivs) m.add(iv); memories.push(m); }
      console.log(JSON.stringify({ perSession: (heap() - before) / memories.length, full: memories.every((m) => m.size === RANDOM_IV_MEMORY) }));`;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    expect(await proc.exited).toBe(0);
    expect(err).toBe("");
    const { perSession, full } = JSON.parse(out) as { perSession: number; full: boolean };
    expect(full).toBe(true);
    expect(perSession).toBeGreaterThan(14 * 1024);
    expect(perSession).toBeLessThan(20 * 1024);
  });

  test("a session that only receives the SDK's counted IVs allocates no IV memory; the first random IV does", async () => {
    const key = await crypto.subtle.importKey("raw", crypto.getRandomValues(new Uint8Array(32)), "AES-GCM", false, ["encrypt", "decrypt"]);
    const pairs = Array.from({ length: 500 }, () => ({
      sdk: new FrameCipher(key, Direction.CLIENT_TO_SERVER, Direction.SERVER_TO_CLIENT),
      server: new FrameCipher(key, Direction.SERVER_TO_CLIENT, Direction.CLIENT_TO_SERVER),
    }));
    const sealed = await Promise.all(pairs.map(async (p) => Promise.all([1, 2, 3, 4].map(() => p.sdk.seal("{}")))));
    const before = heapAfterGc();
    for (let i = 0; i < pairs.length; i += 1) for (const frame of sealed[i]!) await pairs[i]!.server.open(frame);
    const countedCost = (heapAfterGc() - before) / pairs.length;
    const random = await Promise.all(pairs.map(async () => {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode("{}")));
      return { iv: btoa(String.fromCharCode(...iv)), ct: btoa(String.fromCharCode(...ct)) };
    }));
    const beforeRandom = heapAfterGc();
    for (let i = 0; i < pairs.length; i += 1) await pairs[i]!.server.open(random[i]);
    const randomCost = (heapAfterGc() - beforeRandom) / pairs.length;
    expect(countedCost).toBeLessThan(256);
    expect(randomCost).toBeGreaterThan(1024);
    expect(randomCost).toBeLessThan(2048);
  });
});
