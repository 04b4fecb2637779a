/**
 * A seeded pseudo-random generator for the fuzz tests, so that any failure can be replayed.
 *
 * The seed comes from `FUZZ_SEED` when set (replay), otherwise from the clock (a new sample of
 * inputs on every run). `fuzz(name, fn)` runs `fn` with a generator for that seed and, when it
 * throws, rethrows with the seed and the command that replays it appended to the message.
 */

/** mulberry32: small, fast, and good enough to spread inputs (not for cryptography). */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `length` characters drawn from `alphabet`. */
  string(length: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_"): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  /** Any UTF-16 code units, lone surrogates and control characters included. */
  anyText(length: number): string {
    let out = "";
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.bool(0.8) ? this.int(128) : this.int(0x10000));
    return out;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
}

/** The seed of this run: `FUZZ_SEED` when given, else a fresh one. */
export function runSeed(): number {
  const fixed = process.env.FUZZ_SEED;
  if (fixed !== undefined && /^\d+$/.test(fixed)) return Number(fixed) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** Runs `fn` with a seeded generator; a failure names the seed and how to replay it. */
export async function fuzz<T>(name: string, fn: (rng: Rng) => Promise<T>, seed = runSeed()): Promise<T> {
  try {
    return await fn(new Rng(seed));
  } catch (err) {
    const replay = `fuzz "${name}" failed with seed ${seed}; replay: FUZZ_SEED=${seed} bun test ${process.argv.slice(2).find((a) => a.includes("fuzz")) ?? "test/fuzz"}`;
    console.error(replay);
    if (err instanceof Error) {
      err.message = `${err.message}\n${replay}`;
      throw err;
    }
    throw new Error(`${String(err)}\n${replay}`);
  }
}
