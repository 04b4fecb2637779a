/** The upgrade path's URL parsing shortcut agrees with `new URL().pathname`. */
import { expect, test } from "bun:test";
import { pathnameOf } from "../../server/transport/bun.ts";

test("pathnameOf matches URL.pathname for absolute request URLs", () => {
  for (const url of ["http://h/ws", "http://h:3000/ws?x=1", "http://h/ws#f", "https://a.b/admin/ws?t=1#x", "http://h", "http://h/", "http://[::1]:80/a/b?c"]) {
    expect(pathnameOf(url)).toBe(new URL(url).pathname);
  }
});
