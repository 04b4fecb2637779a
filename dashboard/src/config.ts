/**
 * @module dashboard/config
 * Where the dashboard finds the server. The server's dashboard handler serves `config.json`
 * beside `index.html` (so the page works under any mount path of a host app, with no inline
 * script under a strict CSP); when it is missing the defaults of the standalone server apply,
 * resolved against the page: the API at `../api`, the admin channel at `./ws`.
 */

export interface DashboardConfig {
  /** Base URL of the REST API, absolute or relative to the page (`/api`, `https://ops/api`). */
  apiBase: string;
  /** URL of the live admin channel: `ws(s)://…`, `http(s)://…`, or a path resolved against the page. */
  wsUrl: string;
}

export interface DashboardOptions extends DashboardConfig {
  /** Logs in with this token at once (the standalone page passes a `#token=` fragment here). */
  token?: string;
  /**
   * Where the token and the theme choice are kept for this tab.
   * @default sessionStorage (null keeps nothing: the token lives only as long as the mount)
   */
  storage?: Storage | null;
  /** Prefix of the storage keys, so that several dashboards on one page keep separate logins. @default "switchboard" */
  storageKey?: string;
}

export const DEFAULT_CONFIG: DashboardConfig = { apiBase: "../api", wsUrl: "./ws" };

/** The config the server injected beside the page, or the defaults when there is none. */
export async function loadServedConfig(pageUrl: string): Promise<DashboardConfig> {
  try {
    const res = await fetch(new URL("config.json", pageUrl), { cache: "no-store" });
    if (!res.ok) return DEFAULT_CONFIG;
    const body = (await res.json()) as Partial<DashboardConfig>;
    return {
      apiBase: typeof body.apiBase === "string" ? body.apiBase : DEFAULT_CONFIG.apiBase,
      wsUrl: typeof body.wsUrl === "string" ? body.wsUrl : DEFAULT_CONFIG.wsUrl,
    };
  } catch {
    return DEFAULT_CONFIG;
  }
}

/** An absolute http(s) base URL without a trailing slash. */
export function resolveApiBase(apiBase: string, pageUrl: string): string {
  return new URL(apiBase, pageUrl).href.replace(/\/+$/, "");
}

/** An absolute ws(s) URL: http→ws, https→wss, paths resolved against the page. */
export function resolveWsUrl(wsUrl: string, pageUrl: string): string {
  const url = new URL(wsUrl, pageUrl);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  return url.href;
}
