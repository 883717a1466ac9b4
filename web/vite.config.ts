import { defineConfig } from "vite";
// Relative base: the app is served from any path next to deployment.json / endpoints.json.
export default defineConfig({ base: "./", build: { outDir: "dist", chunkSizeWarningLimit: 2000 } });
