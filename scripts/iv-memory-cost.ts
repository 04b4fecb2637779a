/**
 * Measures what the random-IV replay memory (shared/iv-memory, contract in shared/crypto) costs
 * per connection: 1,000 built-in ECDH server sessions each open K inbound frames, random IVs or
 * the SDK's counted layout, and the heap after a full GC is compared with the heap before.
 *
 *   bun scripts/iv-memory-cost.ts [K=1024] [random|sdk]
 *
 * Slow on purpose (K × 1,000 real AES-GCM seal + open): about 100 s for K = 1,100.
 * The figures in shared/crypto.ts and the README come from this script.
 */
import { createEcdhSession } from "../server/encryption/ecdh.ts";
import { createClientKeys, deriveAesKey, fromBase64, importPublicKey, IV_BYTES, toBase64 } from "../shared/crypto.ts";

const SESSIONS = 1000;
const frames = Number(process.argv[2] ?? 1024);
const counted = process.argv[3] === "sdk";
const plaintext = new TextEncoder().encode('{"event":"heartbeat"}');

function inboundIv(n: number): Uint8Array<ArrayBuffer> {
  if (!counted) return crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const iv = new Uint8Array(IV_BYTES);
  const view = new DataView(iv.buffer);
  view.setUint32(0, 2);
  view.setUint32(8, n + 1);
  return iv;
}

const sessions = [];
for (let i = 0; i < SESSIONS; i += 1) {
  const keys = await createClientKeys();
  const server = await createEcdhSession(keys.publicKey);
  const key = await deriveAesKey(keys.privateKey, await importPublicKey(server.serverPublicKey), fromBase64(server.salt!));
  sessions.push({ server, key });
}
Bun.gc(true);
const before = process.memoryUsage().heapUsed;
for (const { server, key } of sessions) {
  for (let n = 0; n < frames; n += 1) {
    const iv = inboundIv(n);
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plaintext));
    await server.codec.decode!({ iv: toBase64(iv), ct: toBase64(ct) });
  }
}
Bun.gc(true);
const perSession = (process.memoryUsage().heapUsed - before) / sessions.length;
console.log(`${sessions.length} sessions × ${frames} ${counted ? "counted (SDK)" : "random"}-IV frames: ${Math.round(perSession)} bytes/session (Bun ${Bun.version})`);
