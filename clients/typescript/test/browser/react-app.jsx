// A minimal React app on the binding: the provider, useSession, and buttons to sign in and out.
import { createRoot } from "react-dom/client";
import { LatchkeyClient } from "@latchkey/client";
import { LatchkeyProvider, useLatchkey, useSession } from "@latchkey/client/react";

function Account() {
  const lk = useLatchkey();
  const { status, user } = useSession();
  const q = new URLSearchParams(location.search);
  if (status === "loading") return <p id="status">loading</p>;
  if (!user) {
    return (
      <>
        <p id="status">signed out</p>
        <button onClick={() => lk.signIn({ email: q.get("email"), password: q.get("password") })}>Sign in</button>
      </>
    );
  }
  return (
    <>
      <p id="status">signed in as {user.email}</p>
      <button onClick={() => lk.signOut()}>Sign out</button>
    </>
  );
}

const client = new LatchkeyClient({ baseUrl: new URLSearchParams(location.search).get("latchkey") });
createRoot(document.getElementById("root")).render(
  <LatchkeyProvider client={client}>
    <Account />
  </LatchkeyProvider>,
);
