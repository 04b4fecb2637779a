/**
 * The server every protocol fuzz file attacks: no rate limit (floods are the point), a small
 * payload limit, and a sentinel client in a room receiving a steady numbered stream throughout.
 */
import { startServer, type TestServer } from "../helpers/server.ts";
import { Sentinel } from "../helpers/sentinel.ts";

export async function startFuzzServer(maxPayloadLength: number): Promise<{ server: TestServer; sentinel: Sentinel }> {
  const server = await startServer({ allowedRooms: ["*"], rateLimitPerSecond: 0, maxPayloadLength });
  const client = await server.client({ sub: "sentinel" });
  await client.request("join", { rooms: ["stream"] });
  const sentinel = new Sentinel(client, (event, data) => server.sb.toRoom("stream", event, data)).start();
  return { server, sentinel };
}
