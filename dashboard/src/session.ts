/**
 * @module dashboard/session
 * What every view of a logged-in dashboard shares, through one context per mount (so several
 * dashboards on a page never share state).
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { ClientQuery } from "./api/client.ts";
import type { ApiClient } from "./api/client.ts";
import type { LiveStore } from "./live/store.ts";
import type { ThemeName } from "./theme.ts";

export type ViewName = "overview" | "clients" | "rooms" | "emit" | "live";

export interface Session {
  api: ApiClient;
  store: LiveStore;
  /** Admin actions (disconnect, join/leave, emit) are offered only to an admin; unknown until the snapshot. */
  canManage: boolean;
  theme: ThemeName;
  /** Switches view, optionally with the Clients filter to start from. */
  navigate(view: ViewName, clientFilter?: ClientQuery): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a logged-in dashboard");
  return session;
}
