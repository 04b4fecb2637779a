/**
 * The SDK's presence (SPEC §12): `room.presence()` returns the roster and keeps it in sync from
 * `presence:join` / `presence:leave` without polling; typed `on("presence:join")`; after a
 * reconnect within the leave grace, nobody sees the reconnecting user leave, and its own roster
 * is read again (so members that came meanwhile are there).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { PresenceEventData } from "../../shared/client/index.ts";
import { Recorder, runCleanup, sdkClient, sdkServer, staysFalse, waitFor } from "./helpers.ts";

afterEach(runCleanup);

const FAST = { minDelayMs: 20, maxDelayMs: 50 };
const users = (members: Array<{ userId?: string }>) => members.map((m) => m.userId).sort();

describe("SDK presence", () => {
  test("room.presence() gives the roster and keeps it in sync from join and leave events", async () => {
    const s = await sdkServer({ presenceRooms: ["room-p*"], presenceLeaveGraceMs: 200 });
    const alice = sdkClient({ url: s.ws, token: () => s.token({ sub: "alice", info: { name: "Alice" } }), reconnect: FAST });
    const bob = sdkClient({ url: s.ws, token: () => s.token({ sub: "bob" }), reconnect: FAST });
    const room = alice.room("room-p1");
    await room.join();
    await bob.room("room-p1").join();
    expect(users(await room.presence())).toEqual(["alice", "bob"]);
    expect(room.roster.find((m) => m.userId === "alice")?.info).toEqual({ name: "Alice" });

    const joins: PresenceEventData[] = [];
    alice.on("presence:join", (data) => joins.push(data)); // typed: data.userId is a string | undefined
    let changes = 0;
    room.onChange(() => (changes += 1));
    const carol = sdkClient({ url: s.ws, token: () => s.token({ sub: "carol" }), reconnect: FAST });
    await carol.join("room-p1");
    await waitFor(() => users(room.roster).includes("carol"), 3000, "carol in alice's roster");
    expect(joins.map((j) => j.userId)).toEqual(["carol"]);
    await carol.leave("room-p1");
    await waitFor(() => !users(room.roster).includes("carol"), 3000, "carol gone from alice's roster");
    expect(changes).toBe(2);
  });

  test("a dropped connection that the SDK restores within the grace sends no leave, and the roster is read again", async () => {
    const s = await sdkServer({ presenceRooms: ["room-p*"], presenceLeaveGraceMs: 1500 });
    const alice = sdkClient({ url: s.ws, token: () => s.token({ sub: "alice" }), reconnect: FAST });
    const bob = sdkClient({ url: s.ws, token: () => s.token({ sub: "bob" }), reconnect: FAST });
    const bobRec = new Recorder(bob);
    const aliceRec = new Recorder(alice);
    const room = alice.room("room-p2");
    await room.join();
    await bob.join("room-p2");
    await room.presence();
    const { id } = await alice.connect();
    // While alice is away (dropped by the server, 4007 reconnects), dave arrives.
    await s.sb.disconnect(id);
    const dave = sdkClient({ url: s.ws, token: () => s.token({ sub: "dave" }), reconnect: FAST });
    await dave.join("room-p2");
    await aliceRec.waitForRejoin(1);
    await waitFor(() => users(room.roster).includes("dave"), 3000, "dave in alice's roster after the reconnect");
    expect(users(room.roster)).toEqual(["alice", "bob", "dave"]);
    await staysFalse(() => bobRec.events("presence:leave").length > 0, 1800, "bob seeing alice leave");
    expect(bobRec.events("presence:join").filter((f) => (f.data as PresenceEventData).userId === "alice")).toHaveLength(0);
  });
});
