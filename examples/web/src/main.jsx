// --- snippet: browser-client ---
import { LatchkeyClient } from "@latchkey/client";
import { LatchkeyProvider } from "@latchkey/client/react";
import { createRoot } from "react-dom/client";
import App from "./App.jsx";

const latchkey = new LatchkeyClient({
  baseUrl: import.meta.env.VITE_LATCHKEY_URL ?? "http://localhost:8080",
  refresh: import.meta.env.VITE_LATCHKEY_REFRESH ?? "memory",
});

createRoot(document.getElementById("root")).render(
  <LatchkeyProvider client={latchkey}>
    <App />
  </LatchkeyProvider>,
);
// --- end snippet ---
