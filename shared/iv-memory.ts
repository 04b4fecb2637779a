/**
 * @module shared/iv-memory
 * Bounded, exact memory of the random AES-GCM IVs a receiver has accepted in one session, for the
 * replay check of shared/crypto (whose header states the contract and the measured cost).
 */

const IV_BYTES = 12;

/** How many random IVs a receiver remembers per session by default. */
export const RANDOM_IV_MEMORY = 1024;
const FIRST_CAPACITY = 64;

/**
 * The last `limit` distinct 12-byte IVs, exact (no false positives, no false negatives within
 * the window): a ring of IVs as three 32-bit words in arrival order, plus an open-addressing
 * index (linear probing, load ≤ ½, backward-shift deletion) from an IV's hash to its ring slot.
 * Starts at 64 slots (≈1 KB) and doubles up to `limit` (16 bytes per slot: ≈16 KB at 1024);
 * once full, remembering a new IV forgets the oldest one.
 */
export class IvMemory {
  private ring: Uint32Array;
  private index: Uint16Array;
  private count = 0;
  private oldest = 0;

  constructor(readonly limit: number = RANDOM_IV_MEMORY) {
    if (!Number.isInteger(limit) || limit < 1 || limit > 0x8000) throw new Error("IV memory limit must be an integer in 1..32768");
    const capacity = Math.min(limit, FIRST_CAPACITY);
    this.ring = new Uint32Array(capacity * 3);
    this.index = new Uint16Array(tableSize(capacity));
  }

  get size(): number {
    return this.count;
  }

  has(iv: Uint8Array): boolean {
    return this.find(words(iv)) >= 0;
  }

  /** Remembers an IV that is not remembered yet (callers check `has` first). */
  add(iv: Uint8Array): void {
    const w = words(iv);
    let slot: number;
    if (this.count < this.limit) {
      if (this.count * 3 === this.ring.length) this.grow();
      slot = this.count;
      this.count += 1;
    } else {
      slot = this.oldest;
      this.unlink(slot);
      this.oldest = (this.oldest + 1) % this.limit;
    }
    this.ring.set(w, slot * 3);
    this.link(slot);
  }

  /** Index position holding `w`, or -1. */
  private find(w: Uint32Array): number {
    const mask = this.index.length - 1;
    for (let p = hashWords(w[0]!, w[1]!, w[2]!) & mask; this.index[p] !== 0; p = (p + 1) & mask) {
      const at = (this.index[p]! - 1) * 3;
      if (this.ring[at] === w[0] && this.ring[at + 1] === w[1] && this.ring[at + 2] === w[2]) return p;
    }
    return -1;
  }

  private home(slot: number): number {
    const at = slot * 3;
    return hashWords(this.ring[at]!, this.ring[at + 1]!, this.ring[at + 2]!) & (this.index.length - 1);
  }

  private link(slot: number): void {
    const mask = this.index.length - 1;
    let p = this.home(slot);
    while (this.index[p] !== 0) p = (p + 1) & mask;
    this.index[p] = slot + 1;
  }

  /** Removes a slot from the index, shifting later entries of its probe run back into the hole. */
  private unlink(slot: number): void {
    const mask = this.index.length - 1;
    let hole = this.home(slot);
    while (this.index[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let q = (hole + 1) & mask; this.index[q] !== 0; q = (q + 1) & mask) {
      const home = this.home(this.index[q]! - 1);
      if (((q - home) & mask) >= ((q - hole) & mask)) {
        this.index[hole] = this.index[q]!;
        hole = q;
      }
    }
    this.index[hole] = 0;
  }

  /** Doubles the ring (never past `limit`) and rebuilds the index; only before the ring wraps. */
  private grow(): void {
    const capacity = Math.min(this.limit, (this.ring.length / 3) * 2);
    const ring = new Uint32Array(capacity * 3);
    ring.set(this.ring);
    this.ring = ring;
    this.index = new Uint16Array(tableSize(capacity));
    for (let slot = 0; slot < this.count; slot += 1) this.link(slot);
  }
}

/** A power of two at least twice the capacity, so the index is never more than half full. */
function tableSize(capacity: number): number {
  let size = 2;
  while (size < capacity * 2) size *= 2;
  return size;
}

function words(iv: Uint8Array): Uint32Array {
  const view = new DataView(iv.buffer, iv.byteOffset, IV_BYTES);
  return Uint32Array.of(view.getUint32(0), view.getUint32(4), view.getUint32(8));
}

/** Mixes all 96 bits (the IVs come from authenticated frames, so flooding is not a concern). */
function hashWords(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}
