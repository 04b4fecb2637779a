/**
 * @module dashboard/main
 * The standalone page served at `/admin/` (or wherever the server mounts it): reads the
 * server-injected `config.json`, takes a `#token=` fragment (then removes it from the address
 * bar and the history, so it is not bookmarked or shared by accident), and mounts the dashboard.
 */
import { loadServedConfig } from "./config.ts";
import { mountDashboard } from "./mount.tsx";
import "./page.css";

/** The token in `#token=…`, removed from the address bar once read. */
function takeFragmentToken(): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token") ?? undefined;
  if (token !== undefined) history.replaceState(history.state, "", location.pathname + location.search);
  return token || undefined;
}

const token = takeFragmentToken();
const root = document.getElementById("app");
if (root) {
  void loadServedConfig(location.href).then((config) => mountDashboard(root, { ...config, token }));
}
