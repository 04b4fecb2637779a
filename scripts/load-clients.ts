/**
 * Connects many authenticated clients to a running Switchboard, for trying the dashboard or
 * the server under load (not part of `npm test`). Clients are spread over worker processes so
 * that no process runs out of file descriptors; each worker connects at a bounded rate, joins
 * the given rooms, sends a heartbeat every 20 s and optionally a chat message now and then.
 *
 *   bun scripts/load-clients.ts --url ws://localhost:3000/ws --token <client token> \
 *     --clients 10000 --rooms lobby,news --rate 500 --chatty 0.01
 *
 * `--token` is a client token that may join the rooms (the development banner prints one;
 * `npx switchboard token --sub load --rooms 'lobby,news'` mints one with JWT_SECRET).
 * Ctrl-C closes every connection.
 */
const PER_WORKER = 2500;

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) {
    console.error(`load-clients: --${name} is required`);
    process.exit(2);
  }
  return value;
}

interface WorkerPlan {
  url: string;
  token: string;
  count: number;
  rooms: string[];
  ratePerSec: number;
  chatty: number;
}

async function runWorker(plan: WorkerPlan): Promise<void> {
  let open = 0;
  const sockets: WebSocket[] = [];
  const report = setInterval(() => process.stdout.write(`${open}\n`), 1000);
  for (let i = 0; i < plan.count; i++) {
    const ws = new WebSocket(plan.url);
    sockets.push(ws);
    ws.onopen = () => ws.send(JSON.stringify({ event: "authenticate", data: { token: plan.token } }));
    ws.onmessage = (e) => {
      if (JSON.parse(String(e.data)).event !== "connected") return;
      open += 1;
      if (plan.rooms.length > 0) ws.send(JSON.stringify({ event: "join", data: { rooms: plan.rooms } }));
      setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"event":"heartbeat"}'), 20_000);
      if (plan.chatty > 0) setInterval(() => Math.random() < plan.chatty && ws.send(JSON.stringify({ event: "chat", data: { at: Date.now() } })), 1000);
    };
    ws.onclose = () => {
      open = Math.max(0, open - 1);
    };
    if ((i + 1) % Math.max(1, Math.round(plan.ratePerSec / 10)) === 0) await Bun.sleep(100);
  }
  process.on("SIGTERM", () => {
    clearInterval(report);
    for (const ws of sockets) ws.close(1000);
    setTimeout(() => process.exit(0), 200);
  });
}

async function runParent(): Promise<void> {
  const total = Number(arg("clients", "1000"));
  const plan = {
    url: arg("url", "ws://localhost:3000/ws"),
    token: arg("token"),
    rooms: arg("rooms", "").split(",").filter(Boolean),
    ratePerSec: Number(arg("rate", "500")),
    chatty: Number(arg("chatty", "0")),
  };
  const workers = Math.ceil(total / PER_WORKER);
  const counts = new Array<number>(workers).fill(0);
  const children = Array.from({ length: workers }, (_, w) => {
    const count = Math.min(PER_WORKER, total - w * PER_WORKER);
    const child = Bun.spawn([process.execPath, import.meta.path, "--worker", JSON.stringify({ ...plan, count, ratePerSec: plan.ratePerSec / workers })], { stdout: "pipe", stderr: "inherit" });
    void (async () => {
      for await (const chunk of child.stdout as ReadableStream<Uint8Array>) {
        const last = new TextDecoder().decode(chunk).trim().split("\n").pop();
        counts[w] = Number(last);
      }
    })();
    return child;
  });
  const status = setInterval(() => process.stdout.write(`\rconnected: ${counts.reduce((a, b) => a + b, 0)} / ${total}   `), 1000);
  const stop = () => {
    clearInterval(status);
    for (const child of children) child.kill("SIGTERM");
    process.stdout.write("\n");
    setTimeout(() => process.exit(0), 500);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (process.argv[2] === "--worker") await runWorker(JSON.parse(process.argv[3]!) as WorkerPlan);
else await runParent();
