/**
 * @module dashboard/mount
 * `mountDashboard(el, options) → unmount`: renders one dashboard into `el`. Everything it owns
 * (state, sockets, timers, listeners, the theme attribute) hangs off that element, so a host
 * page can mount several and unmount them cleanly; nothing is put on `window` or `document`.
 *
 * @example
 * const unmount = mountDashboard(document.querySelector("#ops")!, { apiBase: "/ops/api", wsUrl: "/admin/ws" });
 * // later
 * unmount();
 */
import { render } from "preact";
import { Dashboard } from "./components/Dashboard.tsx";
import { DEFAULT_CONFIG, resolveApiBase, resolveWsUrl, type DashboardOptions } from "./config.ts";
import "./styles/base.css";
import "./styles/views.css";

export function mountDashboard(el: Element, options: Partial<DashboardOptions> = {}): () => void {
  const page = el.ownerDocument.defaultView?.location.href ?? "http://localhost/";
  let storage: Storage | null = null;
  if (options.storage !== undefined) storage = options.storage;
  else {
    try {
      storage = el.ownerDocument.defaultView?.sessionStorage ?? null;
    } catch {
      storage = null; // sandboxed frames may refuse access
    }
  }
  const resolved = {
    apiBase: resolveApiBase(options.apiBase ?? DEFAULT_CONFIG.apiBase, page),
    wsUrl: resolveWsUrl(options.wsUrl ?? DEFAULT_CONFIG.wsUrl, page),
    token: options.token,
    storage,
    storageKey: options.storageKey ?? "switchboard",
  };
  render(<Dashboard options={resolved} />, el);
  return () => render(null, el);
}
