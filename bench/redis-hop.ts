/**
 * @module bench/redis-hop
 * The bare Redis publish→subscribe hop, for reference beside the cross-instance latencies: one
 * ioredis connection publishes a stamped message every `intervalMs`, another (subscribed)
 * records `receipt − stamp`. Prints `BENCH_READY {"samples":[…]}` when done.
 * Usage: bun bench/redis-hop.ts <redis-url> <count> <intervalMs>
 */
import { Redis } from "ioredis";
import { now } from "./lib/messages.ts";

const [url = "redis://127.0.0.1:6379", countText = "200", intervalText = "5"] = process.argv.slice(2);
const count = Number(countText);
const intervalMs = Number(intervalText);
const pub = new Redis(url);
const sub = new Redis(url);
const samples: number[] = [];
const CHANNEL = "bench:hop";

await sub.subscribe(CHANNEL);
const received = new Promise<void>((resolve) => {
  sub.on("message", (_channel: string, message: string) => {
    samples.push(now() - Number(message));
    if (samples.length >= count) resolve();
  });
});

const started = now();
for (let n = 0; n < count; n++) {
  const wait = started + n * intervalMs - now();
  if (wait > 0) await Bun.sleep(wait);
  await pub.publish(CHANNEL, String(now()));
}
await Promise.race([received, Bun.sleep(5000)]);
process.stdout.write(`BENCH_READY ${JSON.stringify({ samples })}\n`);
pub.disconnect();
sub.disconnect();
