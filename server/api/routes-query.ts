/**
 * @module server/api/routes-query
 * Cluster-wide reads (viewer) and operator actions on clients (admin): stats, instances,
 * clients, rooms, disconnect, join/leave on a client's behalf.
 */
import type { ApiApp, ApiOptions } from "./types.ts";
import { requirePermission } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { ClientsQuery, HistoryQuery, JoinBody, PresenceQuery, RoomName, RoomsQuery } from "./schemas.ts";
import { parseQuery, readBody } from "./validate.ts";

export function registerQueryRoutes(app: ApiApp, o: ApiOptions): void {
  const view = o.backend.view;
  const read = requirePermission(o.roles, "read");
  const manage = requirePermission(o.roles, "manage");
  const unknownClient = (id: string) => new ApiError(404, "not_found", `no client ${id}`);
  // Tells a client which rooms have `GET /rooms/:name/history`, so it never has to probe for a 404.
  const withHistoryFlag = <R extends { name: string }>(room: R) => ({ ...room, history: o.backend.isHistoryRoom(room.name) });

  app.get("/stats", read, async (c) => c.json(await view.stats()));
  app.get("/instances", read, async (c) => c.json({ items: await view.instances() }));

  app.get("/clients", read, async (c) => {
    const { limit, cursor, encrypted, ...filter } = parseQuery(ClientsQuery, c.req.query());
    const flag = encrypted === undefined ? undefined : encrypted === "true";
    return c.json(await view.listClients({ ...filter, encrypted: flag }, { limit, cursor }));
  });

  app.get("/clients/:id", read, async (c) => {
    const client = await view.getClient(c.req.param("id"));
    if (!client) throw unknownClient(c.req.param("id"));
    return c.json(client);
  });

  app.delete("/clients/:id", manage, async (c) => {
    const id = c.req.param("id");
    if (!(await view.disconnect(id))) throw unknownClient(id);
    return c.json({ disconnected: id });
  });

  app.post("/clients/:id/rooms", manage, async (c) => {
    const id = c.req.param("id");
    const { rooms } = await readBody(c.req.raw, JoinBody);
    const joined = await view.joinRooms(id, rooms);
    if (!joined) throw unknownClient(id);
    return c.json({ joined });
  });

  app.delete("/clients/:id/rooms/:room", manage, async (c) => {
    const id = c.req.param("id");
    const room = c.req.param("room");
    if (!RoomName.safeParse(room).success) throw new ApiError(400, "invalid_request", "room: expected a room name of 1-256 printable characters not starting with ws:", "room");
    const left = await view.leaveRoom(id, room);
    if (left === undefined) throw unknownClient(id);
    return c.json({ left: left ? [room] : [] });
  });

  app.get("/rooms", read, async (c) => {
    const { q, limit, cursor } = parseQuery(RoomsQuery, c.req.query());
    const page = await view.listRooms(q, { limit, cursor });
    return c.json({ ...page, items: page.items.map(withHistoryFlag) });
  });

  app.get("/rooms/:name/presence", read, async (c) => {
    const name = c.req.param("name");
    const page = parseQuery(PresenceQuery, c.req.query());
    const roster = await o.backend.presence(name, page);
    if (!roster) throw new ApiError(400, "not_presence_room", `room ${name} is not a presence room (see PRESENCE_ROOMS)`);
    return c.json({ room: name, ...roster });
  });

  app.get("/rooms/:name/history", read, async (c) => {
    const name = c.req.param("name");
    const { limit } = parseQuery(HistoryQuery, c.req.query());
    const history = await o.backend.history(name, limit);
    if (!history) throw new ApiError(404, "not_found", `room ${name} keeps no history (see HISTORY_ROOMS)`);
    return c.json({ room: name, seq: history.seq, items: history.frames });
  });

  app.get("/rooms/:name", read, async (c) => {
    const room = await view.getRoom(c.req.param("name"));
    if (!room) throw new ApiError(404, "not_found", `no room ${c.req.param("name")}`);
    return c.json(withHistoryFlag(room));
  });
}
