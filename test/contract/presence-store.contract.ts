/**
 * The presence store contract (server/presence/store.ts), run against the memory store and the
 * Redis store: first/last-connection transitions decided once under concurrency, totals, key-
 * ordered pages that survive churn, and the dead-instance removal taken by one caller only.
 */
import { describe, expect, test } from "bun:test";
import { memberKeyOf, type PresenceStore } from "../../server/presence/store.ts";

export interface StoreFixture {
  /** Two handles on one shared store (two instances' views of it). */
  create(): Promise<[PresenceStore, PresenceStore]>;
}

let roomSeq = 0;
const freshRoom = () => `contract-room-${Date.now()}-${roomSeq++}`;
const entry = (room: string, user: string | undefined, clientId: string, instanceId = "i1", info?: Record<string, unknown>) => ({
  room, key: memberKeyOf(user, clientId), userId: user, clientId, instanceId, info,
});

export function presenceStoreContract(name: string, fixture: () => StoreFixture): void {
  describe(`presence store contract: ${name}`, () => {
    test("the first connection of a member adds it, a second one does not; the last one out removes it", async () => {
      const [s] = await fixture().create();
      const room = freshRoom();
      expect(await s.add(entry(room, "u1", "c1", "i1", { n: 1 }))).toEqual({ changed: true, total: 1 });
      expect(await s.add(entry(room, "u1", "c2", "i2"))).toEqual({ changed: false, total: 1 });
      expect(await s.add(entry(room, "u2", "c3"))).toEqual({ changed: true, total: 2 });
      const page = await s.roster(room, { limit: 10 });
      expect(page.total).toBe(2);
      expect(page.members.find((m) => m.userId === "u1")).toEqual({ userId: "u1", clientIds: ["c1", "c2"], info: { n: 1 } });
      expect(await s.remove(room, memberKeyOf("u1", "c1"), "c1")).toEqual({ changed: false, total: 2 });
      expect(await s.remove(room, memberKeyOf("u1", "c2"), "c2")).toEqual({ changed: true, total: 1 });
      expect(await s.remove(room, memberKeyOf("u1", "c2"), "c2")).toEqual({ changed: false, total: 1 });
    });

    test("concurrent first connections of one user from two instances: exactly one reports the member added", async () => {
      const [a, b] = await fixture().create();
      const room = freshRoom();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).add(entry(room, "same", `c${i}`, i % 2 ? "ia" : "ib"))));
      expect(results.filter((r) => r.changed).length).toBe(1);
      const removals = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).remove(room, memberKeyOf("same", `c${i}`), `c${i}`)));
      expect(removals.filter((r) => r.changed).length).toBe(1);
      expect((await a.roster(room, { limit: 10 })).total).toBe(0);
    });

    test("pages follow key order and neither repeat nor skip members that stay while others come and go", async () => {
      const [s] = await fixture().create();
      const room = freshRoom();
      for (let i = 0; i < 30; i++) await s.add(entry(room, `u${String(i).padStart(2, "0")}`, `c${i}`));
      const first = await s.roster(room, { limit: 10 });
      expect(first.members.map((m) => m.userId)).toEqual(Array.from({ length: 10 }, (_, i) => `u${String(i).padStart(2, "0")}`));
      // Churn between pages: one seen member leaves, a new one sorts before the cursor, one after.
      await s.remove(room, memberKeyOf("u03", "c3"), "c3");
      await s.add(entry(room, "u00a", "cx"));
      await s.add(entry(room, "u99", "cy"));
      const seen = first.members.map((m) => m.userId);
      let cursor = first.nextCursor;
      while (cursor) {
        const page = await s.roster(room, { limit: 10, cursor });
        seen.push(...page.members.map((m) => m.userId));
        cursor = page.nextCursor;
      }
      const stayed = Array.from({ length: 30 }, (_, i) => `u${String(i).padStart(2, "0")}`);
      for (const u of stayed) expect(seen.filter((x) => x === u).length).toBe(1);
      expect(seen).toContain("u99");
    });

    test("an instance's connections are removed by one caller only, which gets the members that left", async () => {
      const [a, b] = await fixture().create();
      const room = freshRoom();
      await a.add(entry(room, "dies", "c1", "dead"));
      await a.add(entry(room, "mixed", "c2", "dead"));
      await a.add(entry(room, "mixed", "c3", "alive"));
      expect(await a.holders()).toContain("dead");
      const [ra, rb] = await Promise.all([a.removeInstance("dead"), b.removeInstance("dead")]);
      const removed = [...ra, ...rb];
      expect(removed.map((r) => r.userId)).toEqual(["dies"]);
      expect(removed[0]).toMatchObject({ room, clientId: "c1", total: 1 });
      expect((await a.roster(room, { limit: 10 })).members).toEqual([{ userId: "mixed", clientIds: ["c3"] }]);
      expect(await a.holders()).not.toContain("dead");
    });

    test("a roster of an unknown room is empty; a bad cursor starts from the beginning", async () => {
      const [s] = await fixture().create();
      expect(await s.roster(freshRoom(), { limit: 5 })).toEqual({ members: [], total: 0 });
      const room = freshRoom();
      await s.add(entry(room, "x", "c1"));
      expect((await s.roster(room, { limit: 5, cursor: "%%%" })).total).toBe(1);
    });
  });
}
