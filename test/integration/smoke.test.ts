import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, startServer, type TestServer } from "../helpers/server.ts";
import { TestClient } from "../helpers/ws-client.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ allowedRooms: ["lobby"] });
});
afterAll(() => server.stop());

describe("quick start path", () => {
  test("an authenticated client joins an allowed room and receives a REST emit to it", async () => {
    const client = await server.client({ sub: "alice" });
    expect(client.connected?.data).toMatchObject({ userId: "alice" });
    client.send({ event: "join", data: { rooms: ["lobby"] } });
    const joined = await client.request("join", { rooms: ["lobby"] });
    expect(joined).toMatchObject({ ok: true, result: { joined: ["lobby"], denied: [] } });
    const res = await api(server, "POST", "/api/emit", { to: { room: "lobby" }, event: "news", data: { a: 1 } });
    expect(res.status).toBe(202);
    expect(res.body.recipients).toBe(1);
    const news = await client.next("news");
    expect(news.data).toEqual({ a: 1 });
    client.close();
  });
});
