// @latchkey/client in Chromium: tabs of one browser share one session, refresh it one at a
// time (Web Locks; without them, the refused loser takes the winner's tokens), survive a reload
// (memory mode: while another tab is open; cookie mode: always), and sign out together.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { launch, serveStatic, verifiedUser } from "../support/browser.mjs";
import { needs } from "../support/pending.mjs";
import { PASSWORD, mail, startServer } from "../support/server.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const address = (what) => `${what}-${process.pid}-${++n}@example.com`;

let browser;
let pages;
before(async () => {
  browser = await launch();
  pages = await serveStatic(root);
});
after(async () => {
  await browser?.close();
  pages?.close();
});

/** Opens the test page as a tab of `context`; `options` become its query string. */
async function tab(context, server, options = {}) {
  const page = await context.newPage();
  const q = new URLSearchParams({ latchkey: server.url, ...options });
  await page.goto(`${pages.origin}/test/browser/app.html?${q}`);
  await page.waitForFunction(() => window.lk);
  return page;
}

const restored = (page) => page.evaluate(() => window.restored);
const token = (page) => page.evaluate(() => lk.getAccessToken());
const signIn = (page, email) =>
  page.evaluate(([email, password]) => lk.signIn({ email, password }).then((r) => r.status), [email, PASSWORD]);
const counters = (page) => page.evaluate(() => ({ refreshes: window.refreshes, refused: window.refused }));

/** The server's view of the token: the user it belongs to, or the status it was refused with. */
async function whoseToken(server, access) {
  const r = await fetch(`${server.url}/api/v1/me`, { headers: { Authorization: `Bearer ${access}` } });
  return r.ok ? (await r.json()).email : r.status;
}

async function sessionsOf(server, access) {
  const r = await fetch(`${server.url}/api/v1/me/sessions`, { headers: { Authorization: `Bearer ${access}` } });
  return r.json();
}

describe("memory mode, 4-second access tokens", () => {
  let server;
  before(async () => {
    server = await startServer({ LATCHKEY_ACCESS_TTL: "4s", LATCHKEY_CORS_ORIGINS: pages.origin });
  });
  after(() => server?.stop());

  for (const locks of ["on", "off"]) {
    test(`two tabs refreshing at once stay signed in, one session (Web Locks ${locks})`, async () => {
      const context = await browser.newContext();
      const email = await verifiedUser(server, address(`tabs-locks-${locks}`), PASSWORD, mail);
      const a = await tab(context, server, { auto: "off", locks });
      assert.equal(await restored(a), null);
      assert.equal(await signIn(a, email), "signed_in");
      // A tab opened later is handed the session by the first: no sign-in, no refresh.
      const b = await tab(context, server, { auto: "off", locks });
      assert.equal(await restored(b), email);
      assert.equal((await counters(b)).refreshes, 0);
      // Three rounds of both tabs finding the token due at the same moment.
      for (let round = 0; round < 3; round++) {
        await sleep(2900);
        const [ta, tb] = await Promise.all([token(a), token(b)]);
        assert.ok(ta && tb, `round ${round}: a tab was signed out`);
        await sleep(100);
        const [sa, sb] = await Promise.all([token(a), token(b)]);
        assert.equal(sa, sb, `round ${round}: the tabs hold one token`);
        assert.equal(await whoseToken(server, sa), email);
      }
      // How it went: with Web Locks the tabs take turns, and a refusal happens only when the
      // winner's new token had not reached the other tab yet (BroadcastChannel is not ordered
      // with the lock); without them, one tab of each pair loses. Either way nobody signed out.
      const [ca, cb] = await Promise.all([counters(a), counters(b)]);
      console.log(`locks ${locks}: ${JSON.stringify([ca, cb])}`);
      const sessions = await sessionsOf(server, await token(a));
      assert.equal(sessions.length, 1);
      await context.close();
    });
  }

  test("tabs keep the session alive with their timers, and sign out together", async () => {
    const context = await browser.newContext();
    const email = await verifiedUser(server, address("timers"), PASSWORD, mail);
    const a = await tab(context, server);
    await signIn(a, email);
    const b = await tab(context, server);
    const c = await tab(context, server);
    assert.equal(await restored(b), email);
    assert.equal(await restored(c), email);
    // Every tab's timer fires at about the same time, round after round.
    await sleep(9000);
    for (const page of [a, b, c]) {
      const access = await page.evaluate(() => lk.session && lk.getAccessToken());
      assert.equal(await whoseToken(server, access), email);
    }
    const total = (await Promise.all([a, b, c].map(counters))).reduce((s, x) => s + x.refreshes, 0);
    assert.ok(total >= 3, `the session was refreshed (${total} refreshes)`);
    const held = await token(c);
    await b.evaluate(() => lk.signOut());
    await sleep(100);
    for (const page of [a, b, c]) {
      assert.equal(await page.evaluate(() => lk.snapshot.status), "signed_out");
      assert.equal(await page.evaluate(() => changes.at(-1)), null);
    }
    assert.equal(await whoseToken(server, held), 401, "the session ended on the server");
    await context.close();
  });

  test("a reload keeps the session while another tab holds it; the last tab's reload ends it", async () => {
    const context = await browser.newContext();
    const email = await verifiedUser(server, address("reload"), PASSWORD, mail);
    const a = await tab(context, server);
    await signIn(a, email);
    const b = await tab(context, server);
    assert.equal(await restored(b), email);
    await b.reload();
    await b.waitForFunction(() => window.lk);
    assert.equal(await restored(b), email);
    await a.close();
    await b.reload();
    await b.waitForFunction(() => window.lk);
    assert.equal(await restored(b), null, "memory mode: the token lived only in the pages");
    // Nothing of the session was written where a script could find it after the tabs closed.
    const stored = await b.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.equal(stored, "{}{}");
    await context.close();
  });

  test("another browser profile does not share the session", async () => {
    const one = await browser.newContext();
    const two = await browser.newContext();
    const email = await verifiedUser(server, address("profiles"), PASSWORD, mail);
    const a = await tab(one, server);
    await signIn(a, email);
    const b = await tab(two, server);
    assert.equal(await restored(b), null);
    await one.close();
    await two.close();
  });
});

describe("cookie mode (contract §12), 4-second access tokens", () => {
  let server;
  before(async () => {
    server = await startServer({
      LATCHKEY_ACCESS_TTL: "4s",
      LATCHKEY_CORS_ORIGINS: pages.origin,
      LATCHKEY_REFRESH_COOKIE: "on",
    });
  });
  after(() => server?.stop());

  test("the refresh token is an HttpOnly cookie; the session survives reloads", { todo: needs("cookie") }, async () => {
    const context = await browser.newContext();
    const email = await verifiedUser(server, address("cookie"), PASSWORD, mail);
    const a = await tab(context, server, { refresh: "cookie" });
    assert.equal(await restored(a), null);
    assert.equal(await signIn(a, email), "signed_in");
    const cookies = await context.cookies(`${server.url}/api/v1/`);
    assert.equal(cookies.length, 1, JSON.stringify(cookies));
    assert.equal(cookies[0].httpOnly, true);
    assert.equal(cookies[0].sameSite, "Strict");
    assert.equal(cookies[0].path, "/api/v1/");
    // Not readable by scripts on either origin.
    assert.equal(await a.evaluate(() => document.cookie), "");
    await a.reload();
    await a.waitForFunction(() => window.lk);
    assert.equal(await restored(a), email, "restored after a reload");
    assert.equal(await whoseToken(server, await token(a)), email);
    await context.close();
  });

  for (const locks of ["on", "off"]) {
    test(`two tabs on the cookie refresh at once and stay signed in (Web Locks ${locks})`, { todo: needs("cookie") }, async () => {
      const context = await browser.newContext();
      const email = await verifiedUser(server, address(`cookie-tabs-${locks}`), PASSWORD, mail);
      const a = await tab(context, server, { refresh: "cookie", auto: "off", locks });
      await signIn(a, email);
      const b = await tab(context, server, { refresh: "cookie", auto: "off", locks });
      assert.equal(await restored(b), email);
      for (let round = 0; round < 3; round++) {
        await sleep(2900);
        const [ta, tb] = await Promise.all([token(a), token(b)]);
        assert.ok(ta && tb, `round ${round}: a tab was signed out`);
        assert.equal(await whoseToken(server, ta), email);
        assert.equal(await whoseToken(server, tb), email);
      }
      // Both tabs reload at once: both restore from the cookie.
      await Promise.all([a.reload(), b.reload()]);
      await Promise.all([a, b].map((p) => p.waitForFunction(() => window.lk)));
      assert.deepEqual(await Promise.all([restored(a), restored(b)]), [email, email]);
      assert.equal((await sessionsOf(server, await token(a))).length, 1);
      await context.close();
    });
  }

  test("signing out ends the session, clears the cookie and signs out every tab", { todo: needs("cookie") }, async () => {
    const context = await browser.newContext();
    const email = await verifiedUser(server, address("cookie-out"), PASSWORD, mail);
    const a = await tab(context, server, { refresh: "cookie" });
    await signIn(a, email);
    const b = await tab(context, server, { refresh: "cookie" });
    assert.equal(await restored(b), email);
    const held = await token(b);
    await a.evaluate(() => lk.signOut());
    await sleep(100);
    assert.equal(await b.evaluate(() => lk.snapshot.status), "signed_out");
    assert.deepEqual(await context.cookies(`${server.url}/api/v1/`), []);
    assert.equal(await whoseToken(server, held), 401);
    await b.reload();
    await b.waitForFunction(() => window.lk);
    assert.equal(await restored(b), null);
    await context.close();
  });

  test("a session begun on the pages is picked up by the app", { todo: needs("cookie") }, async () => {
    const context = await browser.newContext();
    const email = await verifiedUser(server, address("pages"), PASSWORD, mail);
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click("main form [type=submit]")]);
    const app = await tab(context, server, { refresh: "cookie" });
    assert.equal(await restored(app), email);
    await context.close();
  });
});

describe("rate limits across origins (contract §2)", () => {
  let server;
  before(async () => {
    server = await startServer({
      LATCHKEY_CORS_ORIGINS: pages.origin,
      LATCHKEY_RATE_LIMIT: "on",
      LATCHKEY_RATE_LIMIT_LOGIN: "2/1m",
    });
  });
  after(() => server?.stop());

  test("a page on an allowed origin reads retryAfter from a 429", { todo: needs("cors-headers") }, async () => {
    const context = await browser.newContext();
    const a = await tab(context, server);
    const error = await a.evaluate(async (email) => {
      for (let i = 0; i < 5; i++) {
        const e = await lk.signIn({ email, password: "wrong password" }).catch((e) => e);
        if (e.status === 429) return { status: e.status, code: e.code, retryAfter: e.retryAfter };
      }
      return null;
    }, address("limited"));
    assert.equal(error?.code, "rate_limited");
    assert.ok(error.retryAfter > 0 && error.retryAfter <= 60, JSON.stringify(error));
    await context.close();
  });
});
