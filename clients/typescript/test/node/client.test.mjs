// @latchkey/client in Node against a live `latchkey serve`: sign-up, verification, sign-in,
// refresh ahead of expiry and on 401, one refresh for concurrent calls, errors, and the session
// shared between two clients the way tabs share it.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { LatchkeyClient, LatchkeyError } from "../../dist/index.js";
import { needs } from "../support/pending.mjs";
import { PASSWORD, lastMail, mail, startServer } from "../support/server.mjs";
import { totp } from "../support/totp.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let n = 0;
const address = (what) => `${what}-${process.pid}-${++n}@example.com`;

/** A client whose requests are counted by path; tabs share nothing unless `share` names a channel. */
function client(server, options = {}) {
  const calls = [];
  const refusals = [];
  const lk = new LatchkeyClient({
    baseUrl: server.url,
    shareAcrossTabs: false,
    fetch: async (input, init) => {
      const path = new URL(String(input)).pathname;
      calls.push(path);
      const response = await fetch(input, init);
      if (!response.ok) refusals.push({ path, status: response.status, body: await response.clone().json().catch(() => null) });
      return response;
    },
    ...options,
  });
  return { lk, calls, refusals, count: (path) => calls.filter((c) => c === path).length };
}

/** Signs up and verifies `email` with the emailed code. */
async function verifiedUser(server, lk, email = address("user")) {
  await lk.signUp({ email, password: PASSWORD, name: "Ann" });
  const { code } = await mail(server, email, /Confirm/);
  const verified = await lk.verifyEmail({ email, code });
  assert.equal(verified.status, "verified");
  return email;
}

describe("against a server with 3-second access tokens", () => {
  let server;
  before(async () => {
    server = await startServer({ LATCHKEY_ACCESS_TTL: "3s" });
  });
  after(() => server?.stop());

  test("sign up, verify with the emailed code, sign in, use and sign out", async () => {
    const { lk } = client(server);
    assert.equal(await lk.ready, null);
    assert.equal(lk.snapshot.status, "signed_out");
    const email = address("flow");
    await lk.signUp({ email, password: PASSWORD, name: "Ann" });
    const notYet = await lk.signIn({ email, password: PASSWORD }).catch((e) => e);
    assert.ok(notYet instanceof LatchkeyError);
    assert.deepEqual([notYet.status, notYet.code], [403, "email_not_verified"]);

    const { code } = await mail(server, email, /Confirm/);
    assert.deepEqual(await lk.verifyEmail({ email, code }), { status: "verified", email });

    const seen = [];
    const stop = lk.onChange((s) => seen.push(s));
    const result = await lk.signIn({ email, password: PASSWORD });
    assert.equal(result.status, "signed_in");
    assert.equal(result.user.email, email);
    assert.equal(result.user.name, "Ann");
    assert.equal(seen.length, 1);
    assert.equal(seen[0].user.email, email);
    assert.ok(seen[0].expiresAt.getTime() > Date.now() + 2000);
    assert.equal(lk.snapshot.status, "signed_in");

    const me = await lk.request("GET", "/api/v1/me");
    assert.equal(me.email, email);
    const sessions = await lk.request("GET", "/api/v1/me/sessions");
    assert.equal(sessions.length, 1);

    const token = await lk.getAccessToken();
    await lk.signOut();
    assert.equal(seen.at(-1), null);
    assert.equal(lk.session, null);
    assert.equal(await lk.getAccessToken(), null);
    // The session is over on the server too: its access token is refused at once.
    const r = await fetch(`${server.url}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 401);
    stop();
  });

  test("refused requests reject with a LatchkeyError carrying status, code and detail", async () => {
    const { lk } = client(server);
    const weak = await lk.signUp({ email: address("weak"), password: "short" }).catch((e) => e);
    assert.ok(weak instanceof LatchkeyError);
    assert.equal(weak.status, 400);
    assert.equal(weak.code, "weak_password");
    assert.ok(weak.detail);
    const wrong = await lk.signIn({ email: address("nobody"), password: PASSWORD }).catch((e) => e);
    assert.deepEqual([wrong.status, wrong.code], [401, "invalid_credentials"]);
    assert.equal(wrong.retryAfter, undefined);
    const bad = await lk.verifyEmail({ token: "bogus" }).catch((e) => e);
    assert.deepEqual([bad.status, bad.code], [400, "token_invalid"]);
    // Latchkey unreachable: status 0, code network_error.
    const gone = new LatchkeyClient({ baseUrl: "http://127.0.0.1:9", shareAcrossTabs: false });
    const down = await gone.signIn({ email: address("x"), password: PASSWORD }).catch((e) => e);
    assert.deepEqual([down.status, down.code], [0, "network_error"]);
  });

  test("the access token is refreshed ahead of its expiry, by the timer and on use", async () => {
    const { lk, count } = client(server);
    const email = await verifiedUser(server, lk);
    await lk.signIn({ email, password: PASSWORD });
    const first = await lk.getAccessToken();
    const firstExpiry = lk.session.expiresAt.getTime();
    const changes = [];
    lk.onChange((s) => changes.push(s));
    // 3 s tokens are refreshed a third of their lifetime before expiry: after about 2 s.
    await sleep(2400);
    assert.equal(count("/api/v1/token/refresh"), 1, "the timer refreshed once");
    assert.equal(changes.length, 1);
    assert.ok(changes[0].expiresAt.getTime() > firstExpiry);
    const second = await lk.getAccessToken();
    assert.notEqual(second, first);
    // The new token works well past the old one's expiry.
    await sleep(1500);
    assert.equal((await lk.request("GET", "/api/v1/me")).email, email);
    await lk.signOut();
  });

  test("without the timer, the token is refreshed on use, once for many concurrent calls", async () => {
    const { lk, count } = client(server, { autoRefresh: false });
    const email = await verifiedUser(server, lk);
    await lk.signIn({ email, password: PASSWORD });
    const first = await lk.getAccessToken();
    await sleep(2200);
    assert.equal(count("/api/v1/token/refresh"), 0, "no timer");
    const tokens = await Promise.all(Array.from({ length: 10 }, () => lk.getAccessToken()));
    assert.equal(count("/api/v1/token/refresh"), 1, "one refresh for ten callers");
    assert.equal(new Set(tokens).size, 1);
    assert.notEqual(tokens[0], first);
    const mes = await Promise.all(Array.from({ length: 5 }, () => lk.request("GET", "/api/v1/me")));
    assert.ok(mes.every((m) => m.email === email));
    assert.equal(count("/api/v1/token/refresh"), 1);
    await lk.signOut();
  });

  test("fetch sends the bearer token, and on a 401 refreshes once and sends again", async () => {
    const { lk, count } = client(server, { autoRefresh: false });
    const email = await verifiedUser(server, lk);
    await lk.signIn({ email, password: PASSWORD });
    // The app's own back end: refuses the first token it sees (say, its clock runs ahead).
    const seen = [];
    const app = createServer((req, res) => {
      seen.push(req.headers.authorization);
      const ok = seen.length > 1;
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok }));
    });
    await new Promise((r) => app.listen(0, "127.0.0.1", r));
    try {
      const response = await lk.fetch(`http://127.0.0.1:${app.address().port}/things`, { method: "POST", body: "{}" });
      assert.equal(response.status, 200);
      assert.equal(seen.length, 2);
      assert.match(seen[0], /^Bearer /);
      assert.notEqual(seen[1], seen[0], "sent again with a new token");
      assert.equal(seen[1], `Bearer ${await lk.getAccessToken()}`);
      assert.equal(count("/api/v1/token/refresh"), 1);
      // A 401 that a refresh cannot cure is handed back after one try, not looped on.
      seen.length = 0;
      const stubborn = createServer((req, res) => {
        seen.push(1);
        res.writeHead(401).end();
      });
      await new Promise((r) => stubborn.listen(0, "127.0.0.1", r));
      const again = await lk.fetch(`http://127.0.0.1:${stubborn.address().port}/x`);
      assert.equal(again.status, 401);
      assert.equal(seen.length, 2);
      stubborn.close();
    } finally {
      app.close();
    }
    await lk.signOut();
  });

  test("a session that ended elsewhere signs the client out on its next refresh", async () => {
    const { lk } = client(server, { autoRefresh: false });
    const email = await verifiedUser(server, lk);
    await lk.signIn({ email, password: PASSWORD });
    const changes = [];
    lk.onChange((s) => changes.push(s));
    // The user signs this session out from another device.
    const other = client(server).lk;
    await other.signIn({ email, password: PASSWORD });
    const sessions = await other.request("GET", "/api/v1/me/sessions");
    const mine = sessions.find((s) => !s.current);
    await other.request("DELETE", "/api/v1/me/sessions/{id}", undefined, { id: mine.id });
    await sleep(2200);
    assert.equal(await lk.getAccessToken(), null);
    assert.equal(changes.at(-1), null);
    assert.equal(lk.snapshot.status, "signed_out");
    await other.signOut();
  });

  test("two clients sharing one session (like two tabs) refresh at once and both stay signed in", async () => {
    const share = `tabs-${process.pid}`;
    const a = client(server, { shareAcrossTabs: share, autoRefresh: false });
    const email = await verifiedUser(server, a.lk);
    await a.lk.ready;
    await a.lk.signIn({ email, password: PASSWORD });
    // A second tab opens: it is handed the session, without signing in.
    const b = client(server, { shareAcrossTabs: share, autoRefresh: false });
    const restored = await b.lk.ready;
    assert.equal(restored?.user.email, email);
    assert.equal(b.count("/api/v1/login"), 0);
    // Both find the token due and refresh at the same moment with the same refresh token (Node
    // has no Web Locks, so nothing serializes them): one wins, the other is refused and takes
    // the winner's tokens instead of signing out.
    await sleep(2200);
    const [ta, tb] = await Promise.all([a.lk.getAccessToken(), b.lk.getAccessToken()]);
    assert.ok(ta && tb, "neither tab was signed out");
    assert.equal(a.count("/api/v1/token/refresh") + b.count("/api/v1/token/refresh") >= 2, true);
    await sleep(50);
    assert.equal(await a.lk.getAccessToken(), await b.lk.getAccessToken(), "the tabs hold one token");
    assert.equal((await b.lk.request("GET", "/api/v1/me")).email, email);
    const sessions = await a.lk.request("GET", "/api/v1/me/sessions");
    assert.equal(sessions.length, 1, "one session, not revoked");
    // Signing out in one tab signs out the other.
    const outs = [];
    b.lk.onChange((s) => outs.push(s));
    await a.lk.signOut();
    await sleep(50);
    assert.deepEqual(outs, [null]);
    assert.equal(await b.lk.getAccessToken(), null);
  });

  test("a refresh that lost a race is answered superseded and keeps the session; a dead one signs out at once", async () => {
    // The server's two answers, side by side: two refreshes with one token at once.
    const probe = client(server).lk;
    const email = await verifiedUser(server, probe);
    const login = await fetch(`${server.url}/api/v1/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    }).then((r) => r.json());
    const refresh = () =>
      fetch(`${server.url}/api/v1/token/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: login.refresh_token }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const answers = await Promise.all([refresh(), refresh()]);
    const lost = answers.find((a) => a.status !== 200);
    assert.equal(answers.filter((a) => a.status === 200).length, 1, "one winner");
    assert.deepEqual([lost.status, lost.body.code, lost.body.superseded], [401, "invalid_refresh_token", true]);

    // Two tabs on one session, no Web Locks: whichever loses is told superseded and takes the
    // winner's tokens; neither signs out.
    const share = `race-${process.pid}`;
    const a = client(server, { shareAcrossTabs: share, autoRefresh: false });
    await a.lk.ready;
    await a.lk.signIn({ email, password: PASSWORD });
    const b = client(server, { shareAcrossTabs: share, autoRefresh: false });
    await b.lk.ready;
    await sleep(2200);
    const [ta, tb] = await Promise.all([a.lk.getAccessToken(), b.lk.getAccessToken()]);
    assert.ok(ta && tb, "neither tab was signed out");
    const refused = [...a.refusals, ...b.refusals].filter((r) => r.path === "/api/v1/token/refresh");
    assert.ok(refused.every((r) => r.status === 401 && r.body.superseded === true), JSON.stringify(refused));
    await a.lk.signOut();

    // A session that ended: refused without `superseded`, and signed out after one try.
    const c = client(server, { autoRefresh: false });
    await c.lk.signIn({ email, password: PASSWORD });
    const other = client(server).lk;
    await other.signIn({ email, password: PASSWORD });
    const sessions = await other.request("GET", "/api/v1/me/sessions");
    const theirs = sessions.find((s) => !s.current);
    await other.request("DELETE", "/api/v1/me/sessions/{id}", undefined, { id: theirs.id });
    await sleep(2200);
    assert.equal(await c.lk.getAccessToken(), null);
    assert.equal(c.count("/api/v1/token/refresh"), 1, "no retries for a dead session");
    assert.equal(c.refusals.at(-1).body.superseded, undefined);
    await other.signOut();
  });

  test("the user is fetched again when a refreshed token names a new address", async () => {
    const { lk } = client(server, { autoRefresh: false });
    const email = await verifiedUser(server, lk);
    await lk.signIn({ email, password: PASSWORD });
    const next = address("moved");
    const after = await lastMail(server);
    await lk.request("POST", "/api/v1/me/email", { password: PASSWORD, new_email: next });
    for (const to of [next, email]) {
      const { token } = await mail(server, to, /./, { after });
      await lk.request("POST", "/api/v1/email/change/confirm", { token });
    }
    await sleep(2200);
    await lk.getAccessToken();
    assert.equal(lk.session.user.email, next);
    await lk.signOut();
  });
});

describe("against a server with its rate limits on", () => {
  let server;
  before(async () => {
    server = await startServer({ LATCHKEY_RATE_LIMIT: "on", LATCHKEY_RATE_LIMIT_LOGIN: "2/1m" });
  });
  after(() => server?.stop());

  test("a 429 carries retryAfter in seconds", async () => {
    const { lk } = client(server);
    const email = address("limited");
    let error;
    for (let i = 0; i < 5 && !error?.retryAfter; i++) {
      error = await lk.signIn({ email, password: "wrong password" }).catch((e) => e);
    }
    assert.equal(error.status, 429);
    assert.equal(error.code, "rate_limited");
    assert.ok(error.retryAfter > 0 && error.retryAfter <= 60, `retryAfter ${error.retryAfter}`);
  });
});

describe("the second factor (contract §11)", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.stop());

  test("sign-in answers mfa_required, and completeSignIn with a code signs in", async () => {
    const { lk } = client(server);
    const email = await verifiedUser(server, lk);
    await lk.signIn({ email, password: PASSWORD });
    const { secret } = await lk.request("POST", "/api/v1/me/mfa/totp", { password: PASSWORD });
    const { recovery_codes } = await lk.request("POST", "/api/v1/me/mfa/totp/confirm", { code: totp(secret) });
    assert.equal(recovery_codes.length, 10);
    await lk.signOut();

    const first = await lk.signIn({ email, password: PASSWORD });
    assert.equal(first.status, "mfa_required");
    assert.ok(first.methods.includes("totp"));
    assert.equal(lk.session, null);
    const wrong = await lk.completeSignIn({ code: "000000" }).catch((e) => e);
    assert.deepEqual([wrong.status, wrong.code], [400, "code_invalid"]);
    const done = await lk.completeSignIn({ code: recovery_codes[0] });
    assert.equal(done.status, "signed_in");
    assert.equal(done.user.email, email);
    assert.equal(lk.session.user.mfa.totp, true);
    // The mfa token is single-use: a second completion has nothing to complete.
    const again = await lk.completeSignIn({ code: recovery_codes[1] }).catch((e) => e);
    assert.equal(again.code, "mfa_token_invalid");
    await lk.signOut();
  });
});
