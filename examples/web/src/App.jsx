import { useLatchkey, useSession } from "@latchkey/client/react";
import { useState } from "react";

// A form that runs `action` with its fields and shows what it answered, or why it failed.
function Form({ title, fields, action }) {
  const [note, setNote] = useState("");
  async function submit(event) {
    event.preventDefault();
    try {
      setNote((await action(Object.fromEntries(new FormData(event.currentTarget)))) ?? "");
    } catch (e) {
      setNote(e.retryAfter ? `${e.message} Try again in ${e.retryAfter} s.` : e.message);
    }
  }
  return (
    <form onSubmit={submit} aria-label={title}>
      <h2>{title}</h2>
      {fields.map((name) => (
        <label key={name}>
          {name}
          <input name={name} type={name.includes("password") ? "password" : "text"} required={name !== "name"} />
        </label>
      ))}
      <button>{title}</button>
      <p role="status">{note}</p>
    </form>
  );
}

export default function App() {
  const latchkey = useLatchkey();
  const { status, user } = useSession();
  const [secondFactor, setSecondFactor] = useState(false);
  const [profile, setProfile] = useState(null);

  if (status === "loading") return <p>Loading…</p>;
  if (!user) {
    return (
      <main>
        <h1>Example app</h1>
        <Form title="Sign up" fields={["email", "password", "name"]}
          action={(fields) => latchkey.signUp(fields).then(() => "Check your inbox for the code.")} />
        <Form title="Verify" fields={["email", "code"]}
          action={(fields) => latchkey.verifyEmail(fields).then((r) => r.password_reset_required
            // Signed up more than once with different passwords: none of them works.
            ? "Verified. This address was signed up more than once: choose your password with the reset link we emailed you."
            : "Verified: you can sign in.")} />
        {secondFactor ? (
          <Form title="Second step" fields={["code"]}
            action={(fields) => latchkey.completeSignIn(fields).then(() => setSecondFactor(false))} />
        ) : (
          <Form title="Sign in" fields={["email", "password"]}
            action={async (fields) => setSecondFactor((await latchkey.signIn(fields)).status === "mfa_required")} />
        )}
      </main>
    );
  }

  async function callApi() {
    setProfile(await (await latchkey.fetch("/api/profile")).json());
  }
  return (
    <main>
      <h1>Hello, {user.name || user.email}</h1>
      <p>Signed in as {user.email}.</p>
      <button onClick={callApi}>Call my API</button>
      {profile && <pre aria-label="profile">{JSON.stringify(profile, null, 2)}</pre>}
      <Form title="Change email" fields={["new_email", "password"]}
        action={(fields) => latchkey.request("POST", "/api/v1/me/email", fields)
          .then(() => "Confirm the change with the links we emailed.")} />
      <button onClick={() => latchkey.signOut()}>Sign out</button>
    </main>
  );
}
