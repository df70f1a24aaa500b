// Starts a real `latchkey serve` on a free port with a temporary SQLite database, the dev
// mailbox (no SMTP) and cheap password hashing, as tests/support does for the Rust suite.
// The binary: $LATCHKEY_BIN, else the repository's target/release or target/debug build.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const SECRET = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
export const PASSWORD = "correct horse battery";

export function binary() {
  const candidates = [
    process.env.LATCHKEY_BIN,
    join(repo, "target/release/latchkey"),
    join(repo, "target/debug/latchkey"),
  ].filter(Boolean);
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error(`no latchkey binary: build it (cargo build) or set LATCHKEY_BIN; looked at ${candidates.join(", ")}`);
  }
  return found;
}

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts the server; `env` adds or overrides LATCHKEY_* settings. */
export async function startServer(env = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "latchkey-client-"));
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary(), ["serve"], {
    env: {
      PATH: process.env.PATH,
      LATCHKEY_LISTEN: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_URL: url,
      LATCHKEY_DATABASE_URL: `sqlite://${join(dir, "latchkey.db")}`,
      LATCHKEY_SECRET: SECRET,
      LATCHKEY_PASSWORD_HASH: "argon2id:m=4096,t=1,p=1",
      LATCHKEY_MAIL_COOLDOWN: "0s",
      LATCHKEY_RATE_LIMIT: "off",
      LATCHKEY_MAIL_POLL_INTERVAL: "100ms",
      LATCHKEY_LOG: "warn",
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((ok) => child.on("exit", (code) => ok(code)));
  for (let i = 0; ; i++) {
    const code = await Promise.race([exited, new Promise((ok) => setTimeout(() => ok(undefined), 50))]);
    if (code !== undefined) throw new Error(`latchkey serve exited (${code}): ${log}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 400) throw new Error(`latchkey serve did not become ready: ${log}`);
  }
  return {
    url,
    port,
    dir,
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The id of the newest dev-mailbox email (0 when there is none): `mail(.., { after })` skips up to it. */
export async function lastMail(server) {
  const all = await (await fetch(`${server.url}/dev/mailbox.json`)).json();
  return Math.max(0, ...all.map((m) => m.id));
}

/** The newest dev-mailbox email to `to` whose subject matches, waiting for it to arrive. */
export async function mail(server, to, subject = /./, { after = 0 } = {}) {
  for (let i = 0; i < 200; i++) {
    const all = await (await fetch(`${server.url}/dev/mailbox.json`)).json();
    const found = all.find((m) => m.to.includes(to) && subject.test(m.subject) && m.id > after);
    if (found) {
      const code = found.text.match(/\b(\d{6})\b/)?.[1];
      const token = found.links.map((l) => new URL(l).searchParams.get("token")).find(Boolean);
      return { ...found, code, token };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no email to ${to} matching ${subject}`);
}
