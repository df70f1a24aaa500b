// The example end to end in Chromium: examples/start.sh on free ports with a fresh data folder,
// then a user signs up, verifies with the emailed code, signs in, calls the app's API, sees the
// back end's users table follow the webhooks, changes the address and signs out.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { totp } from "../../../clients/typescript/test/support/totp.mjs";

const startScript = fileURLToPath(new URL("../../start.sh", import.meta.url));
const PASSWORD = "correct horse battery";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const address = (what) => `${what}-${process.pid}-${++n}@example.com`;

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

/** examples/start.sh on free ports; resolves once the front end, API and Latchkey answer. */
async function startExample(env = {}) {
  const [latchkey, api, web] = [await freePort(), await freePort(), await freePort()];
  const data = mkdtempSync(join(tmpdir(), "latchkey-example-"));
  const child = spawn("bash", [startScript], {
    env: { ...process.env, LATCHKEY_PORT: latchkey, API_PORT: api, WEB_PORT: web, EXAMPLE_DATA: data, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const exited = new Promise((ok) => child.on("exit", ok));
  const urls = [`http://127.0.0.1:${web}/`, `http://127.0.0.1:${api}/docs`, `http://127.0.0.1:${latchkey}/readyz`];
  for (let i = 0; ; i++) {
    const up = await Promise.all(urls.map((u) => fetch(u).then((r) => r.ok, () => false)));
    if (up.every(Boolean)) break;
    if (child.exitCode !== null || i > 1200) throw new Error(`the example did not start:\n${log}`);
    await sleep(100);
  }
  return {
    web: `http://localhost:${web}`,
    latchkey: `http://localhost:${latchkey}`,
    log: () => log,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** The newest email to `to` after `afterId`, with its code and link. */
async function mail(example, to, afterId = 0) {
  for (let i = 0; i < 200; i++) {
    const all = await (await fetch(`${example.latchkey}/dev/mailbox.json`)).json();
    const found = all.find((m) => m.to.includes(to) && m.id > afterId);
    if (found) return { ...found, code: found.text.match(/\b(\d{6})\b/)?.[1], link: found.links[0] };
    await sleep(50);
  }
  throw new Error(`no email to ${to}`);
}
const lastMail = async (example) => Math.max(0, ...(await (await fetch(`${example.latchkey}/dev/mailbox.json`)).json()).map((m) => m.id));

function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Fills the form labelled `title` and submits it; resolves with its status line once it changes. */
async function submit(page, title, fields) {
  const form = page.getByRole("form", { name: title });
  for (const [name, value] of Object.entries(fields)) await form.getByLabel(name, { exact: true }).fill(value);
  await form.getByRole("button", { name: title }).click();
}
const status = (page, title) => page.getByRole("form", { name: title }).getByRole("status");

/** Clicks "Call my API" until the profile satisfies `ok`. */
async function profile(page, ok) {
  let last;
  for (let i = 0; i < 100; i++) {
    await page.getByRole("button", { name: "Call my API" }).click();
    await page.getByLabel("profile").waitFor();
    last = JSON.parse(await page.getByLabel("profile").textContent());
    if (ok(last)) return last;
    await sleep(100);
  }
  assert.fail(`profile never matched: ${JSON.stringify(last)}`);
}

/** Signs up and verifies in the app. */
async function signUpAndVerify(page, example, email) {
  await submit(page, "Sign up", { email, password: PASSWORD, name: "Ann" });
  await status(page, "Sign up").filter({ hasText: "Check your inbox" }).waitFor();
  const { code } = await mail(example, email);
  await submit(page, "Verify", { email, code });
  await status(page, "Verify").filter({ hasText: "Verified" }).waitFor();
}

describe("the example", () => {
  let example, browser;
  before(async () => {
    [example, browser] = await Promise.all([startExample(), launch()]);
  });
  after(async () => {
    await browser?.close();
    await example?.stop();
  });

  test("sign up, verify, sign in, call the API, users table from webhooks, change email, sign out", async () => {
    const page = await browser.newPage();
    await page.goto(example.web);
    const email = address("ann");
    await signUpAndVerify(page, example, email);

    // A wrong password is explained, and nothing changes.
    await submit(page, "Sign in", { email, password: "not the password" });
    await status(page, "Sign in").filter({ hasText: /password/i }).waitFor();
    await submit(page, "Sign in", { email, password: PASSWORD });
    await page.getByRole("heading", { name: "Hello, Ann" }).waitFor();

    // The app's API verified the token; its users table heard of the sign-up and the verification.
    const first = await profile(page, (p) => p.local?.verified);
    assert.equal(first.token_email, email);
    assert.deepEqual(first.local, { email, verified: true });

    // Change the address: confirmed from both mailboxes on Latchkey's pages.
    const next = address("ann-new");
    const before = await lastMail(example);
    await submit(page, "Change email", { new_email: next, password: PASSWORD });
    await status(page, "Change email").filter({ hasText: "Confirm the change" }).waitFor();
    for (const to of [next, email]) {
      const { link } = await mail(example, to, before);
      const confirm = await browser.newPage();
      await confirm.goto(link);
      await confirm.locator("main form button[type=submit]").click();
      await confirm.waitForLoadState();
      await confirm.close();
    }
    const moved = await profile(page, (p) => p.local?.email === next);
    assert.equal(moved.id, first.id);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("form", { name: "Sign in" }).waitFor();
    // The API refuses the signed-out browser.
    assert.equal((await page.evaluate(() => fetch("/api/profile").then((r) => r.status))), 401);
    await page.close();
  });

  test("the second step of a sign-in with an authenticator app", async () => {
    const page = await browser.newPage();
    await page.goto(example.web);
    const email = address("mfa");
    await signUpAndVerify(page, example, email);
    // Turn on the authenticator app over the API, as the account page would.
    const call = async (path, body, token) => {
      const headers = { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) };
      const r = await fetch(`${example.latchkey}/api/v1${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      assert.ok(r.ok, `${path}: ${r.status} ${await r.clone().text()}`);
      return r.json();
    };
    const { access_token } = await call("/login", { email, password: PASSWORD });
    const { secret } = await call("/me/mfa/totp", { password: PASSWORD }, access_token);
    await call("/me/mfa/totp/confirm", { code: totp(secret) }, access_token);
    await submit(page, "Sign in", { email, password: PASSWORD });
    // A code is accepted once: the next step's (within the allowed drift) is a fresh one.
    await submit(page, "Second step", { code: totp(secret, Date.now() + 30000) });
    await page.getByRole("heading", { name: "Hello, Ann" }).waitFor();
    await page.close();
  });
});

describe("the example with the refresh token in a cookie (contract §12)", () => {
  let example, browser;
  before(async () => {
    [example, browser] = await Promise.all([startExample({ LATCHKEY_REFRESH: "cookie" }), launch()]);
  });
  after(async () => {
    await browser?.close();
    await example?.stop();
  });

  test("a reload keeps the user signed in", async () => {
    const page = await browser.newPage();
    await page.goto(example.web);
    const email = address("cookie");
    await signUpAndVerify(page, example, email);
    await submit(page, "Sign in", { email, password: PASSWORD });
    await page.getByRole("heading", { name: "Hello, Ann" }).waitFor({ timeout: 5000 });
    await page.reload();
    await page.getByRole("heading", { name: "Hello, Ann" }).waitFor({ timeout: 5000 });
    await profile(page, (p) => p.token_email === email);
    await page.getByRole("button", { name: "Sign out" }).click();
    // Signed out once Latchkey answered the log-out (a reload sooner would cancel it).
    await page.getByRole("form", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("form", { name: "Sign in" }).waitFor();
    await page.close();
  });
});
