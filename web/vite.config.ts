/// <reference types="vitest/config" />
import { tanstackRouter } from "@tanstack/router-plugin/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { serviceWorkerPlugin } from "./build/service-worker-plugin.ts";

/** Where `npm run dev -w web` sends API calls: an admin started by `npm run stack`. */
const devAdmin = process.env.LANGTIAN_WEB_DEV_ADMIN ?? "http://127.0.0.1:4105";

export default defineConfig({
  // Absolute asset URLs: deep links (/events/<id>) get index.html from the admin's SPA fallback,
  // and its assets must still resolve from the root (the admin and a WebView2 virtual host alike).
  base: "/",
  plugins: [
    // File routes in src/routes; each route's component is split into its own chunk.
    tanstackRouter({ target: "react", autoCodeSplitting: true, routeFileIgnorePattern: "\\.test\\.tsx?$" }),
    react(),
    // The app shell for offline use (see src/offline/service-worker.js).
    serviceWorkerPlugin(new URL("./src/offline/service-worker.js", import.meta.url)),
  ],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: {
    proxy: {
      "/langtian.": devAdmin,
      "/v1/": devAdmin,
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
    setupFiles: ["src/testing/setup.ts"],
    // jsdom renders whole pages; on a loaded 2-core CI box a page test can take seconds.
    testTimeout: 20_000,
  },
});
