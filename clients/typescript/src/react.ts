// @latchkey/client/react: a provider that holds one LatchkeyClient for the app, and hooks that
// re-render on every change of the session (sign-in, refresh, sign-out, another tab's).
import { createContext, createElement, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { LatchkeyClient, Session, Snapshot } from "./index.js";

const Context = createContext<LatchkeyClient | null>(null);

export function LatchkeyProvider(props: { client: LatchkeyClient; children?: ReactNode }) {
  return createElement(Context.Provider, { value: props.client }, props.children);
}

/** The client of the nearest `LatchkeyProvider`. */
export function useLatchkey(): LatchkeyClient {
  const client = useContext(Context);
  if (!client) throw new Error("useLatchkey() and useSession() need a <LatchkeyProvider> above them");
  return client;
}

/** `{ status: "loading" | "signed_in" | "signed_out", session, user }`, kept current. */
export function useSession(): Snapshot & { user: Session["user"] | null } {
  const client = useLatchkey();
  const snapshot = useSyncExternalStore(
    (changed) => client.onChange(changed),
    () => client.snapshot,
    () => client.snapshot,
  );
  return { ...snapshot, user: snapshot.session?.user ?? null };
}
