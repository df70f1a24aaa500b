// Interoperability check for Node back ends: verifies a Latchkey access token with jose's
// createRemoteJWKSet and a captured webhook with the standardwebhooks package, as
// docs/integration.md shows, and drives the browser-side client against the running server.
// Exits non-zero on any failure.
//
// Input (environment): LATCHKEY_URL, LATCHKEY_PUBLIC_URL, LATCHKEY_TOKEN_AUDIENCE, ACCESS_TOKEN,
// WEBHOOK_SECRET, WEBHOOK_CAPTURE, and for the client LOGIN_EMAIL, LOGIN_PASSWORD.
import { readFileSync } from "node:fs";

import { createLatchkeyClient } from "./latchkey-client.js";

// --- snippet: node-verify-token ---
import { createRemoteJWKSet, jwtVerify } from "jose";

const LATCHKEY_URL = process.env.LATCHKEY_URL; // e.g. https://id.example.com
const jwks = createRemoteJWKSet(new URL(`${LATCHKEY_URL}/.well-known/jwks.json`));

// The token's claims, or a thrown error (answer 401).
export async function verifyAccessToken(token) {
  const { payload } = await jwtVerify(token, jwks, {
    algorithms: ["ES256", "EdDSA"],
    // The server's own settings, by the same names: the `iss` and `aud` it signs.
    issuer: process.env.LATCHKEY_PUBLIC_URL ?? LATCHKEY_URL,
    audience: process.env.LATCHKEY_TOKEN_AUDIENCE ?? "latchkey",
    requiredClaims: ["exp", "iat", "sub", "sid", "email"],
  });
  return payload;
}
// --- end snippet ---

// --- snippet: node-receive-webhook ---
import { Webhook } from "standardwebhooks";

const webhook = new Webhook(process.env.WEBHOOK_SECRET); // the whsec_... of LATCHKEY_WEBHOOK_SECRET

// With Express: app.post("/hooks/latchkey", express.raw({ type: "application/json" }), ...)
// so that the body is the exact bytes that were signed.
export function receiveEvent(rawBody, headers) {
  // Throws on a bad signature or a stale timestamp (answer 400). A retry carries the same
  // webhook-id header: deduplicate by it.
  const event = webhook.verify(rawBody, headers);
  if (event.type === "user.deleted") {
    // e.g. delete your own rows of event.data.user_id
  }
  return event;
}
// --- end snippet ---

async function main() {
  const claims = await verifyAccessToken(process.env.ACCESS_TOKEN);
  for (const claim of ["sub", "sid", "email", "email_verified", "iat", "exp"]) {
    if (!(claim in claims)) throw new Error(`claim ${claim} missing`);
  }
  console.log(`token ok: sub=${claims.sub} email=${claims.email}`);

  const capture = JSON.parse(readFileSync(process.env.WEBHOOK_CAPTURE, "utf8"));
  const event = receiveEvent(capture.body, capture.headers);
  console.log(`webhook ok: ${event.type} ${event.data.user_id}`);
  let refused = false;
  try {
    receiveEvent(capture.body.replace("user", "usr"), capture.headers);
  } catch {
    refused = true;
  }
  if (!refused) throw new Error("a tampered webhook was accepted");
  console.log("tampered webhook refused");

  // The browser-side client: log in, call /me, survive an access token that stopped working
  // by refreshing once, log out.
  const client = createLatchkeyClient(LATCHKEY_URL);
  await client.login(process.env.LOGIN_EMAIL, process.env.LOGIN_PASSWORD);
  const me = await client.authed("/me");
  if (me.email !== process.env.LOGIN_EMAIL) throw new Error(`me: ${JSON.stringify(me)}`);
  const claimsOfClient = await verifyAccessToken(client.accessToken);
  if (claimsOfClient.sub !== me.id) throw new Error("the client's token names another user");
  client.forgetAccessToken();
  const again = await client.authed("/me");
  if (again.id !== me.id) throw new Error("no refresh after a 401");
  await client.logout();
  let loggedOut = false;
  try {
    await client.authed("/me");
  } catch (error) {
    loggedOut = error.status === 401;
  }
  if (!loggedOut) throw new Error("still signed in after log-out");
  console.log("browser client ok: login, /me, refresh on 401, logout");
}

main().catch((error) => {
  console.error(`FAILED: ${error?.name}: ${error?.message}`);
  process.exit(1);
});
