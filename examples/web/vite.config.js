import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  // @latchkey/client is linked from clients/typescript, which has a React of its own for its
  // tests: the app and the binding must share the app's.
  resolve: { dedupe: ["react", "react-dom"] },
  // The app's own API (examples/api) under the same origin.
  server: { proxy: { "/api": `http://127.0.0.1:${process.env.API_PORT ?? 8000}` } },
});
