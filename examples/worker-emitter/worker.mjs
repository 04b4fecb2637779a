// A background worker that pushes progress to connected clients through Redis with the
// Switchboard emitter: no WebSocket, no Switchboard server in this process. Every Switchboard
// instance on the same Redis delivers what it publishes. Plain JavaScript: runs on Bun, and on
// Node.js 20+ once the package is built (`npm run build:client`).
//
// Start: REDIS_URL=redis://127.0.0.1:6379 bun examples/worker-emitter/worker.mjs
import { createEmitter } from "switchboard/emitter";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error("REDIS_URL is required (the Redis your Switchboard instances use), e.g. REDIS_URL=redis://127.0.0.1:6379");
  process.exit(2);
}
const ROOM = process.env.JOBS_ROOM ?? "jobs";
const OWNER = process.env.JOB_OWNER ?? "dev-user"; // the user of `npm start`'s development token
const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 1000);

const emitter = createEmitter({ redisUrl });
let job = 0;
let percent = 0;

// One step of a pretend job: progress to everyone watching the room, the result to its owner.
async function step() {
  percent += 25;
  const id = `job-${job}`;
  try {
    await emitter.toRoom(ROOM, "job:progress", { job: id, percent });
    if (percent === 100) {
      await emitter.toUser(OWNER, "job:done", { job: id, result: `report-${job}.pdf` });
      console.log(JSON.stringify({ msg: "job done", job: id }));
      job += 1;
      percent = 0;
    }
  } catch (err) {
    // No offline queue: while Redis is down a step is lost, not delivered late or twice.
    console.error(JSON.stringify({ msg: "emit failed", err: String(err) }));
  }
}

const timer = setInterval(() => void step(), INTERVAL_MS);
console.log(JSON.stringify({ msg: "ready", redisUrl: redisUrl.replace(/\/\/[^@]*@/, "//***@"), room: ROOM, owner: OWNER }));

async function stop() {
  clearInterval(timer);
  await emitter.shutdown();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
