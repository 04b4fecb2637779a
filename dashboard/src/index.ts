/**
 * @module dashboard
 * The embeddable dashboard: `mountDashboard(el, { apiBase, wsUrl, token? }) → unmount`.
 * The standalone page (`main.tsx`) is one user of it.
 */
export { mountDashboard } from "./mount.tsx";
export { loadServedConfig, type DashboardConfig, type DashboardOptions } from "./config.ts";
