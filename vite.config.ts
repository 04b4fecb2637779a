import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The dashboard is built into dist/dashboard and served by the server at /admin/ (or any mount
// path an embedding app chooses): `base: "./"` keeps every asset URL relative to the page.
export default defineConfig({
  root: "dashboard",
  base: "./",
  plugins: [preact()],
  build: {
    outDir: "../dist/dashboard",
    emptyOutDir: true,
    assetsDir: "assets",
  },
});
