// Headless Debian Chromium (playwright-core; no browser download) and a static server for the
// test pages, on an origin of its own: the pages call Latchkey across origins, as apps do.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json" };

/** Serves the files under `root` (and `extra`: path → content) on 127.0.0.1. */
export async function serveStatic(root, extra = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    try {
      const body = extra[path] ?? (await readFile(join(root, path)));
      res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** Signs up `email` over the API and verifies it with the emailed code. */
export async function verifiedUser(server, email, password, mail) {
  const post = (path, body) =>
    fetch(`${server.url}/api/v1${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await post("/register", { email, password });
  const { code } = await mail(server, email, /Confirm/);
  const r = await post("/email/verify", { email, code });
  if (!r.ok) throw new Error(`verify: ${r.status} ${await r.text()}`);
  return email;
}
