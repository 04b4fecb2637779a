/**
 * @module dashboard/components/Shell
 * A logged-in dashboard: owns the REST client, the live store and the admin channel for one
 * token, and lays out the header, the connection banner and the current view.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiClient, type ClientQuery } from "../api/client.ts";
import { useLiveSelect } from "../hooks.ts";
import { LiveChannel, type LiveStatus } from "../live/channel.ts";
import { LiveStore } from "../live/store.ts";
import { SessionContext, type Session, type ViewName } from "../session.ts";
import type { Theme } from "../theme.ts";
import { ClientsView } from "../views/Clients.tsx";
import { EmitView } from "../views/Emit.tsx";
import { LiveView } from "../views/Live.tsx";
import { OverviewView } from "../views/Overview.tsx";
import { RoomsView } from "../views/Rooms.tsx";
import { ConnectionBanner } from "./ConnectionBanner.tsx";

interface Props {
  token: string;
  apiBase: string;
  wsUrl: string;
  theme: Theme;
  onLogout(reason?: string): void;
}

const VIEWS: { name: ViewName; label: string }[] = [
  { name: "overview", label: "Overview" },
  { name: "clients", label: "Clients" },
  { name: "rooms", label: "Rooms" },
  { name: "emit", label: "Emit" },
  { name: "live", label: "Live events" },
];

const EXPIRED = "Your token was rejected: it has expired or was revoked. Log in again.";

interface HeaderProps {
  view: ViewName;
  onView(view: ViewName): void;
  status: LiveStatus;
  role?: "admin" | "viewer";
  theme: Theme;
  onLogout(): void;
}

function Header({ view, onView, status, role, theme, onLogout }: HeaderProps) {
  return (
    <header class="sb-header">
      <div class="sb-brand">Switchboard</div>
      <nav class="sb-nav" aria-label="Views">
        {VIEWS.map((v) => (
          <button key={v.name} type="button" class="sb-tab" aria-current={view === v.name ? "page" : undefined} onClick={() => onView(v.name)}>
            {v.label}
          </button>
        ))}
      </nav>
      <div class="sb-header-tools">
        <span class={`sb-status sb-status-${status}`} title="Live admin channel">
          {status === "live" ? "Live" : status === "connecting" ? "Connecting" : "Offline"}
        </span>
        {role && (
          <span class="sb-role" title={role === "viewer" ? "Read-only: this token cannot change anything" : "Admin"}>
            {role === "viewer" ? "viewer · read-only" : "admin"}
          </span>
        )}
        <button type="button" class="sb-button" onClick={theme.toggle} aria-label={`Switch to the ${theme.effective === "dark" ? "light" : "dark"} theme`}>
          {theme.effective === "dark" ? "Light" : "Dark"}
        </button>
        <button type="button" class="sb-button" onClick={onLogout}>
          Log out
        </button>
      </div>
    </header>
  );
}

/** Keeps the admin channel open for as long as the shell is mounted, feeding `store`. */
function useLiveChannel(wsUrl: string, token: string, store: LiveStore, onRejected: () => void): void {
  useEffect(() => {
    const channel = new LiveChannel(wsUrl, token, {
      onFrame: (frame) => store.apply(frame),
      onStatus: (status, detail) => {
        if (status === "rejected") onRejected();
        else store.setStatus(status, detail);
      },
    });
    channel.start();
    return () => channel.stop();
  }, [wsUrl, token, store]);
}

export function Shell({ token, apiBase, wsUrl, theme, onLogout }: Props) {
  const store = useMemo(() => new LiveStore(), [token]);
  const api = useMemo(() => new ApiClient(apiBase, token, () => onLogout(EXPIRED)), [apiBase, token]);
  useLiveChannel(wsUrl, token, store, () => onLogout(EXPIRED));

  const live = useLiveSelect(store, (s) => ({ status: s.status, attempt: s.attempt, retryInMs: s.retryInMs, role: s.role }));
  const [view, setView] = useState<ViewName>("overview");
  const [clientFilter, setClientFilter] = useState<ClientQuery>({});
  const session: Session = useMemo(
    () => ({
      api, store, canManage: live.role === "admin", theme: theme.effective,
      navigate: (next: ViewName, filter?: ClientQuery) => {
        if (filter) setClientFilter(filter);
        setView(next);
      },
    }),
    [api, store, live.role, theme.effective],
  );

  return (
    <SessionContext.Provider value={session}>
      <Header view={view} onView={(next) => session.navigate(next, {})} status={live.status} role={live.role} theme={theme} onLogout={() => onLogout()} />
      <ConnectionBanner status={live.status} attempt={live.attempt} retryInMs={live.retryInMs} />
      <main class="sb-main" data-view={view}>
        {view === "overview" && <OverviewView />}
        {view === "clients" && <ClientsView initialFilter={clientFilter} />}
        {view === "rooms" && <RoomsView />}
        {view === "emit" && <EmitView />}
        {view === "live" && <LiveView />}
      </main>
    </SessionContext.Provider>
  );
}
