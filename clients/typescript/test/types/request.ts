// Compile-time checks of the typed API (`npm run typecheck`): right calls compile, wrong ones
// are errors (each marked with @ts-expect-error).
import { LatchkeyClient, type User } from "../../src/index.js";

declare const lk: LatchkeyClient;

export async function checks() {
  const me: User = await lk.request("GET", "/api/v1/me");
  me.email satisfies string;
  const sent = await lk.request("POST", "/api/v1/me/email", { password: "p", new_email: "n@example.com" });
  sent.status satisfies "confirmation_sent";
  const sessions = await lk.request("GET", "/api/v1/me/sessions");
  sessions[0].current satisfies boolean;
  await lk.request("DELETE", "/api/v1/me/email");
  await lk.request("DELETE", "/api/v1/me/sessions/{id}", undefined, { id: sessions[0].id });
  // @ts-expect-error: a field the endpoint does not take
  await lk.request("POST", "/api/v1/me/email", { password: "p", email: "n@example.com" });
  // @ts-expect-error: no such path
  await lk.request("GET", "/api/v1/nowhere");
  // @ts-expect-error: the path has no PUT
  await lk.request("PUT", "/api/v1/me");
  // @ts-expect-error: register takes an email
  await lk.signUp({ password: "p" });
  const r = await lk.signIn({ email: "a@example.com", password: "p" });
  if (r.status === "signed_in") r.user.email satisfies string;
  else r.methods satisfies string[];
}
